// What both middlewares do with a request, whatever its framework: read
// the key, verify it through POST /v1/keys/verify (or the cache), and say
// whether to call the handler, with the verification, or what to answer
// instead. It fails closed: no answer from Pome is a 503, never a pass.

import { VerificationCache } from './cache.js';
import { keyFromHeaders } from './credentials.js';
import { PomeError } from './errors.js';
import { PomePlatform } from './platform.js';
import { newRequestId, passOn, refusal } from './refusals.js';

// A customer's request waits for the verify call: tighter than the
// client's defaults, so that an unreachable Pome is a quick 503.
const MIDDLEWARE_DEFAULTS = { timeoutMs: 5_000, maxRetries: 1, maxRetryDelayMs: 1_000 };
const DEFAULT_CACHE_TTL_MS = 5_000;

/**
 * @param {object} options see PomeMiddlewareOptions in index.d.ts
 * @returns {(request: {method: string, getHeader: Function, ip?: string}) =>
 *   Promise<{verification: object} | {refusal: {status: number, headers: object, body: string}}>}
 */
export function createVerifier(options = {}) {
  const platform = new PomePlatform({ ...MIDDLEWARE_DEFAULTS, ...options });
  const cache = new VerificationCache(options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS);
  const scopes = options.scopes?.length ? options.scopes : undefined;
  const onError = options.onError ?? reportError;

  return async function verifyRequest({ method, getHeader, ip }) {
    const requestId = newRequestId();
    const found = keyFromHeaders(getHeader);
    if (found.refusal) return { refusal: refusal(found.refusal, requestId) };

    const permission = method === 'GET' || method === 'HEAD' ? 'read' : 'write';
    const digest = cache.enabled ? await cache.digest(found.key, permission, ip) : null;
    const cached = digest && cache.get(digest);
    // A copy: a handler that changes its request's verification must not
    // change the next request's.
    if (cached) return { verification: structuredClone(cached) };

    let verification;
    try {
      verification = await platform.verify({ key: found.key, permission, scopes, ip }, { requestId });
    } catch (error) {
      // Only a 429 (the service's own IP over Pome's limit) tells the
      // customer something: retry later. Anything else is Pome unusable
      // to this service (unreachable, failing, its token refused).
      if (error instanceof PomeError && error.status === 429) return { refusal: passOn(error) };
      onError(error);
      return { refusal: refusal('unavailable', requestId) };
    }
    if (!verification.valid) return { refusal: refusal(verification.code, requestId, verification) };
    if (digest) cache.set(digest, verification);
    return { verification };
  };
}

// A 503 with no trace would leave a wrong token or baseUrl a mystery. The
// error names the call and Pome's request id, never the customer's key.
function reportError(error) {
  console.error(`pome: answering 503: the verify call failed: ${error.message}`);
}
