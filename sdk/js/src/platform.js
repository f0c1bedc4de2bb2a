// The client of a platform's backend, authenticated by a service token:
// teams, keys, verify, usage, portal sessions and webhooks. Bodies and
// answers are the wire's, snake_case, as openapi/openapi.yaml has them.

import { everyItem } from './pages.js';
import { Transport } from './transport.js';

// The most keys a page of GET /v1/teams/{id}/keys holds: the iterator asks
// for full pages, so that a team's keys take the fewest calls.
const MAX_KEY_PAGE = 100;

const seg = encodeURIComponent;

export class PomePlatform {
  /** @param {{serviceToken: string, baseUrl: string}} options see index.d.ts */
  constructor(options = {}) {
    this.transport = new Transport('serviceToken', options.serviceToken, options);
  }

  // Teams (teams:read, teams:write).

  createTeam(params) {
    return this.transport.request('POST', '/v1/teams', { body: params });
  }

  getTeam(teamId) {
    return this.transport.request('GET', `/v1/teams/${seg(teamId)}`);
  }

  /** The team the platform knows by externalId, or null. */
  async findTeamByExternalId(externalId) {
    const { teams } = await this.transport.request('GET', '/v1/teams', { query: { external_id: externalId } });
    return teams[0] ?? null;
  }

  updateTeam(teamId, params) {
    return this.transport.request('PATCH', `/v1/teams/${seg(teamId)}`, { body: params });
  }

  // Keys (keys:read, keys:write).

  /** The answer's `key` is the plaintext, shown this once: hand it on, never log it. */
  createKey(teamId, params) {
    return this.transport.request('POST', `/v1/teams/${seg(teamId)}/keys`, { body: params });
  }

  getKey(keyId) {
    return this.transport.request('GET', `/v1/keys/${seg(keyId)}`);
  }

  /** One page of a team's keys, newest first; pass its next_cursor for the next. */
  listKeys(teamId, { status, q, limit, cursor } = {}) {
    return this.transport.request('GET', `/v1/teams/${seg(teamId)}/keys`, { query: { status, q, limit, cursor } });
  }

  /** Every key of a team, newest first, across pages: `for await (const key of platform.keys(teamId))`. */
  keys(teamId, { status, q } = {}) {
    return everyItem((cursor) => this.listKeys(teamId, { status, q, limit: MAX_KEY_PAGE, cursor }), 'keys');
  }

  updateKey(keyId, params) {
    return this.transport.request('PATCH', `/v1/keys/${seg(keyId)}`, { body: params });
  }

  revokeKey(keyId) {
    return this.transport.request('DELETE', `/v1/keys/${seg(keyId)}`);
  }

  /** The replacement's `key` is its plaintext, shown this once. */
  rollKey(keyId, params = {}) {
    return this.transport.request('POST', `/v1/keys/${seg(keyId)}/roll`, { body: params });
  }

  // Verify (keys:verify).

  /**
   * Whether a customer's key may be used: 200 whatever the key, its `code`
   * says why not. Retried on 429 and 503 as a GET is: those answers come
   * before anything is counted, so a retry never counts a use twice.
   */
  verify(params, { requestId } = {}) {
    return this.transport.request('POST', '/v1/keys/verify', { body: params, retry: true, requestId });
  }

  /**
   * Reports a key found published (POST /v1/keys/report-leak, no scope
   * needed): an active key is revoked (key.leaked). The answer is the same
   * 202 {status: "received"} whatever the key was.
   */
  reportLeak(key) {
    return this.transport.request('POST', '/v1/keys/report-leak', { body: { key } });
  }

  // Usage (keys:read).

  keyUsage(keyId, { days } = {}) {
    return this.transport.request('GET', `/v1/keys/${seg(keyId)}/usage`, { query: { days } });
  }

  teamUsage(teamId, { days } = {}) {
    return this.transport.request('GET', `/v1/teams/${seg(teamId)}/usage`, { query: { days } });
  }

  // Portal sessions (portal:write).

  createPortalSession(params) {
    return this.transport.request('POST', '/v1/portal/sessions', { body: params });
  }

  // Webhooks (webhooks:write).

  /** The answer's `secret` (whsec_…) is shown this once: keep it for verifyWebhook. */
  createWebhook(params) {
    return this.transport.request('POST', '/v1/webhooks', { body: params });
  }

  listWebhooks() {
    return this.transport.request('GET', '/v1/webhooks');
  }

  deleteWebhook(webhookId) {
    return this.transport.request('DELETE', `/v1/webhooks/${seg(webhookId)}`);
  }

  /** One page of an endpoint's delivery attempts, newest first, 50 a page. */
  listWebhookDeliveries(webhookId, { cursor } = {}) {
    return this.transport.request('GET', `/v1/webhooks/${seg(webhookId)}/deliveries`, { query: { cursor } });
  }

  /** Every delivery attempt of an endpoint, newest first, across pages. */
  webhookDeliveries(webhookId) {
    return everyItem((cursor) => this.listWebhookDeliveries(webhookId, { cursor }), 'deliveries');
  }
}
