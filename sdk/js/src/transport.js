// One Pome server and one bearer credential: builds requests, sends them
// with a timeout, retries what may be retried, decodes answers and errors.

import { PomeConnectionError, errorFromResponse } from './errors.js';
import { isIdempotent, isRetryableStatus, retryDelayMs } from './retry.js';

const DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  maxRetries: 2,
  maxRetryDelayMs: 10_000,
});

export class Transport {
  /**
   * @param {string} credentialName the option's name, for error messages
   * @param {string} credential an API key or a service token
   */
  constructor(credentialName, credential, options) {
    if (typeof credential !== 'string' || credential.trim() === '') {
      throw new TypeError(`Pome: ${credentialName} is required`);
    }
    this.baseUrl = parseBaseUrl(options.baseUrl);
    this.authorization = `Bearer ${credential.trim()}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs;
    // Called through a closure: some runtimes refuse fetch called as a
    // method of another object ("Illegal invocation").
    const custom = options.fetch;
    this.fetch = custom ? (...args) => custom(...args) : (...args) => globalThis.fetch(...args);
  }

  /**
   * Sends one call and returns its decoded JSON answer.
   * @param {string} method
   * @param {string} path already escaped
   * @param {{query?: object, body?: object, retry?: boolean, requestId?: string}} [options]
   */
  async request(method, path, { query, body, retry = isIdempotent(method), requestId } = {}) {
    const url = this.baseUrl + path + queryString(query);
    const call = `${method} ${path}`;
    const headers = { authorization: this.authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (requestId) headers['x-request-id'] = requestId;
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };

    for (let attempt = 0; ; attempt++) {
      const response = await this.send(url, init, call);
      if (response.ok) return response.json();
      const error = await errorFromResponse(response, call);
      const delay =
        retry && attempt < this.maxRetries && isRetryableStatus(error.status)
          ? retryDelayMs(attempt, error.retryAfter, this.maxRetryDelayMs)
          : null;
      if (delay === null) throw error;
      await sleep(delay);
    }
  }

  async send(url, init, call) {
    try {
      return await this.fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      const why = cause?.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'Pome could not be reached';
      throw new PomeConnectionError(`${call}: ${why} (${this.baseUrl})`, cause);
    }
  }
}

function parseBaseUrl(baseUrl) {
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`Pome: baseUrl must be an absolute http(s) URL, got ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Pome: baseUrl must be http or https, got ${url.protocol}`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

// Parameters left undefined, null or empty are left out: the server's
// default then applies.
function queryString(query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
