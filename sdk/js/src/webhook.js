// Standard Webhooks signatures (https://www.standardwebhooks.com), as Pome
// signs its deliveries, checked with WebCrypto so that it runs wherever
// crypto.subtle does (Node 18+, Deno, Bun, edge runtimes).

const TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = 'whsec_';

/** A delivery whose signature or timestamp does not hold: answer it 400, do not act on it. */
export class WebhookVerificationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * Checks a delivery and returns its parsed event ({type, timestamp, data}).
 * `body` must be the raw body as received (a string or bytes): JSON parsed
 * and serialized again is not what was signed.
 *
 * @param {string} secret the endpoint's whsec_ secret
 * @param {Headers | Record<string, string | string[] | undefined>} headers
 * @param {string | ArrayBuffer | ArrayBufferView} body
 * @param {{toleranceSeconds?: number, now?: Date}} [options]
 */
export async function verifyWebhook(secret, headers, body, { toleranceSeconds = TOLERANCE_SECONDS, now = new Date() } = {}) {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not Unix seconds');
  // Outside the tolerance a captured delivery could be replayed at will.
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) {
    throw new WebhookVerificationError(`webhook-timestamp is more than ${toleranceSeconds} s away from now`);
  }

  const payload = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const key = await crypto.subtle.importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${payload}`);
  for (const candidate of signatures.split(' ')) {
    const [version, signature] = candidate.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    const bytes = base64Bytes(signature);
    // subtle.verify compares in constant time: nothing leaks how much of a
    // forged signature was right.
    if (bytes && (await crypto.subtle.verify('HMAC', key, bytes, signed))) return JSON.parse(payload);
  }
  throw new WebhookVerificationError('no webhook-signature matches: wrong secret, or the body was changed');
}

// A Headers object, or a plain object in any letter case (Node's
// IncomingMessage has them lower-cased; a framework's may not).
function header(headers, name) {
  if (typeof headers?.get === 'function') return headers.get(name);
  const entry = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name);
  const value = entry?.[1];
  return Array.isArray(value) ? value.join(' ') : value ?? null;
}

function secretBytes(secret) {
  if (typeof secret !== 'string') throw new TypeError('verifyWebhook: secret must be the whsec_ string Pome gave');
  const bytes = base64Bytes(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  if (!bytes || bytes.length === 0) throw new TypeError('verifyWebhook: secret is not whsec_ followed by base64');
  return bytes;
}

function base64Bytes(s) {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
