// @pomehq/pome: the JavaScript SDK of Pome. Nothing here imports a Node
// module: it runs on Node 18+, Deno, Bun and edge runtimes alike.

export { Pome } from './pome.js';
export { PomePlatform } from './platform.js';
export { PomeError, PomeConnectionError } from './errors.js';
export { pomeMiddleware } from './express.js';
export { withPome } from './fetch-handler.js';
export { verifyWebhook, WebhookVerificationError } from './webhook.js';
