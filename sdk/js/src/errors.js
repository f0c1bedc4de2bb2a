// Errors of a call to Pome: PomeError for an answer of Pome's error
// envelope (or any other non-success answer), PomeConnectionError for a
// call that got no answer at all.

/** An error answered by a Pome server: `{"error": {message, type, code, request_id}}`. */
export class PomeError extends Error {
  constructor({ status, type, code, message, requestId, retryAfter }) {
    super(message);
    this.name = 'PomeError';
    this.status = status;
    this.type = type;
    this.code = code;
    this.requestId = requestId;
    // Seconds to wait before retrying (the Retry-After header), or null.
    this.retryAfter = retryAfter;
  }
}

/** A call that got no answer: Pome unreachable, or no answer within the timeout. */
export class PomeConnectionError extends Error {
  constructor(message, cause) {
    super(message, { cause });
    this.name = 'PomeConnectionError';
  }
}

/**
 * The PomeError of a non-success response. A body that is not Pome's
 * envelope (a proxy's HTML page, say) still gives an error with the
 * status, so that the caller learns what came back.
 */
export async function errorFromResponse(response, call) {
  const requestId = response.headers.get('x-request-id');
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  let envelope;
  try {
    envelope = (await response.json())?.error;
  } catch {
    envelope = undefined;
  }
  if (!envelope || typeof envelope.code !== 'string' || typeof envelope.message !== 'string') {
    return new PomeError({
      status: response.status,
      type: 'api_error',
      code: 'unexpected_response',
      message: `${call} answered ${response.status} without Pome's error body: is baseUrl a Pome server?`,
      requestId,
      retryAfter,
    });
  }
  return new PomeError({
    status: response.status,
    type: envelope.type,
    code: envelope.code,
    message: envelope.message,
    requestId: envelope.request_id || requestId,
    retryAfter,
  });
}

/** Retry-After in whole seconds (Pome sends seconds, never a date), or null. */
export function parseRetryAfter(value) {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}
