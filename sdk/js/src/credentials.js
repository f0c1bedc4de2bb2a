// Reading a customer's key from a request's headers by Pome's own rules
// (docs/api.md, "API keys"): X-API-KEY, or Authorization: Bearer.

/**
 * @param {(name: string) => string | null | undefined} getHeader a header's
 *   value, repeated values joined with ", " as Node and fetch both do
 * @returns {{key: string} | {refusal: 'missing' | 'conflicting'}}
 */
export function keyFromHeaders(getHeader) {
  const xApiKey = getHeader('x-api-key') ?? null;
  const authorization = getHeader('authorization') ?? null;
  // No key holds a comma: one here is a header sent twice, which the
  // runtime joined.
  if (xApiKey?.includes(',') || authorization?.includes(',')) return { refusal: 'conflicting' };
  if (authorization === null) return xApiKey ? { key: xApiKey } : { refusal: 'missing' };
  const token = bearerToken(authorization);
  if (xApiKey !== null && token !== xApiKey) return { refusal: 'conflicting' };
  return token ? { key: token } : { refusal: 'missing' };
}

// The Bearer scheme in any letter case, then one or more spaces (RFC 7235);
// null for any other scheme.
function bearerToken(value) {
  const match = /^bearer( +(.*))?$/i.exec(value);
  return match ? (match[2] ?? '') : null;
}
