// The wrapper of fetch-style handlers, (Request) => Response: Hono, Next.js
// route handlers, Deno.serve, Bun.serve, Cloudflare Workers.

import { createVerifier } from './verifier.js';

/**
 * Returns a handler that verifies each request's key through Pome and
 * calls handler(request, verification, ...rest) for a valid one (rest: the
 * framework's own further arguments, e.g. Next.js's context), or answers
 * with Pome's error body.
 * @param {object} options see WithPomeOptions in index.d.ts
 */
export function withPome(handler, options) {
  const verifyRequest = createVerifier(options);
  const clientIp = options?.clientIp;
  return async function pomeHandler(request, ...rest) {
    const { verification, refusal } = await verifyRequest({
      method: request.method,
      getHeader: (name) => request.headers.get(name),
      // A Request carries no peer address: the runtime's own API says it.
      ip: clientIp ? await clientIp(request, ...rest) : undefined,
    });
    if (refusal) return new Response(refusal.body, { status: refusal.status, headers: refusal.headers });
    return handler(request, verification, ...rest);
  };
}
