// The answers a middleware gives instead of calling the handler: Pome's own
// error envelope, status and headers, as the public API would answer for
// the same key, so that a platform's customers see one API.

const ERRORS = {
  missing: [401, 'authentication_error', 'missing_api_key', 'No API key provided'],
  conflicting: [400, 'invalid_request_error', 'conflicting_credentials', 'Conflicting credentials: give the API key once, in X-API-KEY or Authorization'],
  unavailable: [503, 'unavailable_error', 'service_unavailable', 'Service temporarily unavailable'],
  INVALID: [401, 'authentication_error', 'invalid_api_key', 'Invalid API key'],
  REVOKED: [403, 'permission_error', 'key_revoked', 'API key has been revoked'],
  EXPIRED: [403, 'permission_error', 'key_expired', 'API key has expired'],
  TEAM_BANNED: [403, 'permission_error', 'team_banned', 'The team of this API key is banned'],
  DISABLED: [403, 'permission_error', 'key_disabled', 'API key is disabled'],
  IP_NOT_ALLOWED: [403, 'permission_error', 'ip_not_allowed', "The client address is not in this API key's allowed_cidrs"],
  INSUFFICIENT_PERMISSIONS: [403, 'permission_error', 'insufficient_permissions', 'The role of this credential may not do this'],
  INSUFFICIENT_SCOPE: [403, 'permission_error', 'insufficient_scope', 'API key lacks a scope this needs'],
  RATE_LIMITED: [429, 'rate_limit_error', 'rate_limit_exceeded', 'Rate limit exceeded'],
  QUOTA_EXCEEDED: [429, 'rate_limit_error', 'quota_exceeded', 'The API key has no credits left'],
};

/**
 * @param {string} reason a verify code, or missing, conflicting, unavailable;
 *   an unknown code (from a newer server) reads as INVALID
 * @param {string} requestId
 * @param {object} [verification] the verify answer, for its rate-limit headers
 * @returns {{status: number, headers: Record<string, string>, body: string}}
 */
export function refusal(reason, requestId, verification) {
  const [status, type, code, message] = ERRORS[reason] ?? ERRORS.INVALID;
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="pome"';
  const rl = verification?.ratelimit;
  if (rl) {
    headers['x-ratelimit-limit'] = String(rl.limit);
    headers['x-ratelimit-remaining'] = String(rl.remaining);
    headers['x-ratelimit-reset'] = String(rl.reset);
  }
  const retryAfter = rl?.retry_after ?? verification?.credits?.retry_after;
  if (retryAfter) headers['retry-after'] = String(retryAfter);
  return { status, headers, body: JSON.stringify({ error: { message, type, code, request_id: requestId } }) };
}

/** Pome's answer to the verify call itself, passed on as it is (a 429 of the service's IP). */
export function passOn(error) {
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': error.requestId };
  if (error.retryAfter !== null) headers['retry-after'] = String(error.retryAfter);
  const body = { error: { message: error.message, type: error.type, code: error.code, request_id: error.requestId } };
  return { status: error.status, headers, body: JSON.stringify(body) };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new request id of Pome's form, req_ + 20 base62, sent to Pome too so that both logs name one id. */
export function newRequestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return 'req_' + Array.from(bytes, (b) => BASE62[b % 62]).join('');
}
