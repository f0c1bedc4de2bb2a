// The middleware of Express, Connect and any framework of their
// (req, res, next) form. It uses only what the framework passes in.

import { createVerifier } from './verifier.js';

/**
 * Verifies each request's key through Pome; a valid one's verification is
 * req.pome, anything else is answered here with Pome's error body.
 * @param {object} options see PomeMiddlewareOptions in index.d.ts
 */
export function pomeMiddleware(options) {
  const verifyRequest = createVerifier(options);
  return function pome(req, res, next) {
    verifyRequest({
      method: req.method,
      getHeader: (name) => req.headers[name],
      // Express's req.ip honours its "trust proxy" setting; Connect has only the socket.
      ip: req.ip ?? req.socket?.remoteAddress,
    }).then(({ verification, refusal }) => {
      if (verification) {
        req.pome = verification;
        next();
        return;
      }
      res.writeHead(refusal.status, refusal.headers);
      res.end(refusal.body);
    }, next);
  };
}
