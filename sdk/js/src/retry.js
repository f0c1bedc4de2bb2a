// When a failed call is tried again: only answers that say the request was
// not served (429, 503), only for calls that may safely be sent twice, and
// never for longer than the caller allows.

const RETRYABLE_STATUS = new Set([429, 503]);

// GET, PUT and DELETE mean the same when sent twice. PATCH does not in
// Pome: `credits.increment` adds at each call. POST creates, and is never
// retried, save the calls that pass `retry: true` (verify).
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

const BASE_DELAY_MS = 250;
const RETRY_AFTER_JITTER_MS = 250;

export function isIdempotent(method) {
  return IDEMPOTENT_METHODS.has(method);
}

export function isRetryableStatus(status) {
  return RETRYABLE_STATUS.has(status);
}

/**
 * How long to wait before retry number `attempt` (0 for the first), or null
 * when not to retry: a Retry-After longer than maxDelayMs is a refusal for
 * longer than the caller will wait, so waiting less would only be refused
 * again.
 */
export function retryDelayMs(attempt, retryAfterSeconds, maxDelayMs, random = Math.random) {
  if (retryAfterSeconds !== null) {
    // The jitter spreads out the clients that were all told the same second.
    const ms = retryAfterSeconds * 1000 + random() * RETRY_AFTER_JITTER_MS;
    return ms <= maxDelayMs ? ms : null;
  }
  // Exponential backoff with "equal jitter": between half and all of it.
  const ceiling = Math.min(maxDelayMs, BASE_DELAY_MS * 2 ** attempt);
  return ceiling / 2 + (random() * ceiling) / 2;
}
