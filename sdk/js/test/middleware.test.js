import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import { PomeConnectionError, PomeError, PomePlatform, pomeMiddleware, withPome } from '../src/index.js';
import { startPome } from '../test-helpers/pome-server.js';

let server;
let serviceToken;
let platform;
let team;

before(async () => {
  server = await startPome();
  serviceToken = await server.serviceToken();
  platform = new PomePlatform({ serviceToken, baseUrl: server.baseUrl });
  team = await platform.createTeam({ name: 'Middleware Inc', external_id: 'org_mw' });
});
after(() => server.stop());

// What Express and Connect do with a middleware, on node:http: call it,
// then the handler through next(), or report next(err).
async function connectApp(middleware) {
  const app = createServer((req, res) => {
    middleware(req, res, (err) => {
      if (err) {
        res.writeHead(500).end(String(err));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.pome));
    });
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${app.address().port}/orders`;
  return { url, close: () => new Promise((resolve) => app.close(resolve)) };
}

function options(extra = {}) {
  return { serviceToken, baseUrl: server.baseUrl, onError: () => {}, ...extra };
}

async function newKey(params = {}) {
  return platform.createKey(team.id, { name: 'mw', ...params });
}

async function assertRefused(response, status, code) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get('content-type'), 'application/json');
  const { error } = await response.json();
  assert.equal(error.code, code);
  assert.match(error.request_id, /^req_[A-Za-z0-9]{20}$/);
  assert.equal(response.headers.get('x-request-id'), error.request_id);
  assert.equal(typeof error.message, 'string');
  assert.equal(typeof error.type, 'string');
  return error;
}

describe('pomeMiddleware (Express, Connect)', () => {
  let app;
  before(async () => {
    app = await connectApp(pomeMiddleware(options({ cacheTtlMs: 0 })));
  });
  after(() => app.close());

  test('lets a valid key through, from X-API-KEY or Authorization: Bearer, with req.pome', async () => {
    const created = await newKey({ scopes: ['orders:read'] });
    for (const headers of [{ 'x-api-key': created.key }, { authorization: `Bearer ${created.key}` },
      { authorization: `bearer   ${created.key}`, 'x-api-key': created.key }]) {
      const response = await fetch(app.url, { headers });
      assert.equal(response.status, 200);
      const pome = await response.json();
      assert.equal(pome.valid, true);
      assert.equal(pome.key.id, created.id);
      assert.equal(pome.key.role, 'developer');
      assert.deepEqual(pome.key.scopes, ['orders:read']);
      assert.equal(pome.team.id, team.id);
      assert.equal(pome.team.external_id, 'org_mw');
    }
  });

  test('refuses a missing, conflicting or unknown key', async () => {
    const missing = await fetch(app.url);
    await assertRefused(missing, 401, 'missing_api_key');
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="pome"');
    await assertRefused(await fetch(app.url, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'missing_api_key');

    const created = await newKey();
    const other = await newKey();
    await assertRefused(await fetch(app.url, { headers: { 'x-api-key': created.key, authorization: `Bearer ${other.key}` } }), 400, 'conflicting_credentials');
    const twice = new Headers([['x-api-key', created.key], ['x-api-key', created.key]]);
    await assertRefused(await fetch(app.url, { headers: twice }), 400, 'conflicting_credentials');

    const invalid = await assertRefused(await fetch(app.url, { headers: { 'x-api-key': 'pme_notakey' } }), 401, 'invalid_api_key');
    assert.deepEqual(invalid, { message: 'Invalid API key', type: 'authentication_error', code: 'invalid_api_key', request_id: invalid.request_id });
  });

  test('refuses a revoked key, a viewer writing, a disabled key, an address outside allowed_cidrs', async () => {
    const revoked = await newKey();
    await platform.revokeKey(revoked.id);
    await assertRefused(await fetch(app.url, { headers: { 'x-api-key': revoked.key } }), 403, 'key_revoked');

    const viewer = await newKey({ role: 'viewer' });
    assert.equal((await fetch(app.url, { headers: { 'x-api-key': viewer.key } })).status, 200);
    await assertRefused(await fetch(app.url, { method: 'POST', headers: { 'x-api-key': viewer.key } }), 403, 'insufficient_permissions');

    const disabled = await newKey({ enabled: false });
    await assertRefused(await fetch(app.url, { headers: { 'x-api-key': disabled.key } }), 403, 'key_disabled');

    // The middleware verifies with the connection's address, 127.0.0.1 here.
    const local = await newKey({ allowed_cidrs: ['127.0.0.1/32'] });
    assert.equal((await fetch(app.url, { headers: { 'x-api-key': local.key } })).status, 200);
    const remote = await newKey({ allowed_cidrs: ['10.0.0.0/8'] });
    await assertRefused(await fetch(app.url, { headers: { 'x-api-key': remote.key } }), 403, 'ip_not_allowed');
  });

  test("answers 429 with Retry-After over the key's rate limit", async () => {
    const limited = await newKey({ rate_limit: { limit: 1, window_seconds: 60 } });
    assert.equal((await fetch(app.url, { headers: { 'x-api-key': limited.key } })).status, 200);
    const response = await fetch(app.url, { headers: { 'x-api-key': limited.key } });
    await assertRefused(response, 429, 'rate_limit_exceeded');
    assert.ok(Number(response.headers.get('retry-after')) >= 1);
    assert.equal(response.headers.get('x-ratelimit-limit'), '1');
    assert.equal(response.headers.get('x-ratelimit-remaining'), '0');
  });

  test('with scopes, refuses a key that lacks one', async () => {
    const scoped = await connectApp(pomeMiddleware(options({ cacheTtlMs: 0, scopes: ['orders:write'] })));
    try {
      const reader = await newKey({ scopes: ['orders:read'] });
      await assertRefused(await fetch(scoped.url, { headers: { 'x-api-key': reader.key } }), 403, 'insufficient_scope');
      const writer = await newKey({ scopes: ['orders:*'] });
      assert.equal((await fetch(scoped.url, { headers: { 'x-api-key': writer.key } })).status, 200);
    } finally {
      await scoped.close();
    }
  });
});

test('a valid answer is cached for cacheTtlMs: one verify call, one use counted', async () => {
  const cached = await connectApp(pomeMiddleware(options({ cacheTtlMs: 60_000 })));
  try {
    const created = await newKey();
    for (let i = 0; i < 3; i++) assert.equal((await fetch(cached.url, { headers: { 'x-api-key': created.key } })).status, 200);
    // Revocation shows only once the cached answer expires: the price of the cache.
    await platform.revokeKey(created.id);
    assert.equal((await fetch(cached.url, { headers: { 'x-api-key': created.key } })).status, 200);
    // Counts are written at least every second.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await platform.getKey(created.id)).usage_count, 1);
    // A refusal is never cached: the next request asks again.
    await assertRefused(await fetch(cached.url, { headers: { 'x-api-key': 'pme_notakey' } }), 401, 'invalid_api_key');
    await assertRefused(await fetch(cached.url, { method: 'DELETE', headers: { 'x-api-key': created.key } }), 403, 'key_revoked');
  } finally {
    await cached.close();
  }
});

test('fails closed: a wrong service token is a 503, and onError says why', async () => {
  const errors = [];
  const wrong = await connectApp(pomeMiddleware(options({ serviceToken: 'pst_wrong', onError: (e) => errors.push(e) })));
  try {
    const created = await newKey();
    await assertRefused(await fetch(wrong.url, { headers: { 'x-api-key': created.key } }), 503, 'service_unavailable');
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof PomeError);
    assert.equal(errors[0].code, 'invalid_service_token');
    assert.ok(!errors[0].message.includes(created.key));
  } finally {
    await wrong.close();
  }
});

describe('withPome (fetch handlers)', () => {
  let handler;
  before(() => {
    handler = withPome((request, pome, context) => Response.json({ key: pome.key.id, role: pome.key.role, context }),
      options({ cacheTtlMs: 0, clientIp: () => '203.0.113.7' }));
  });

  test('calls the handler with the verification and the framework\'s own arguments', async () => {
    const created = await newKey({ role: 'viewer', allowed_cidrs: ['203.0.113.0/24'] });
    const response = await handler(new Request('http://api.test/orders', { headers: { authorization: `Bearer ${created.key}` } }), { params: { id: '1' } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { key: created.id, role: 'viewer', context: { params: { id: '1' } } });
  });

  test("answers Pome's refusals", async () => {
    await assertRefused(await handler(new Request('http://api.test/orders')), 401, 'missing_api_key');
    const viewer = await newKey({ role: 'viewer' });
    await assertRefused(await handler(new Request('http://api.test/orders', { method: 'POST', headers: { 'x-api-key': viewer.key } })), 403, 'insufficient_permissions');
    const elsewhere = await newKey({ allowed_cidrs: ['10.0.0.0/8'] });
    await assertRefused(await handler(new Request('http://api.test/orders', { headers: { 'x-api-key': elsewhere.key } })), 403, 'ip_not_allowed');
  });
});

test('fails closed when Pome is stopped: 503, never the handler', async () => {
  const lone = await startPome();
  try {
    const token = await lone.serviceToken();
    const lonePlatform = new PomePlatform({ serviceToken: token, baseUrl: lone.baseUrl });
    const loneTeam = await lonePlatform.createTeam({ name: 'Lone Inc' });
    const created = await lonePlatform.createKey(loneTeam.id, { name: 'l' });
    const errors = [];
    const opts = { serviceToken: token, baseUrl: lone.baseUrl, cacheTtlMs: 0, onError: (e) => errors.push(e) };
    const app = await connectApp(pomeMiddleware(opts));
    const handler = withPome(() => new Response('handled'), opts);
    try {
      assert.equal((await fetch(app.url, { headers: { 'x-api-key': created.key } })).status, 200);
      assert.equal((await handler(new Request('http://api.test/', { headers: { 'x-api-key': created.key } }))).status, 200);
      await lone.kill();
      await assertRefused(await fetch(app.url, { headers: { 'x-api-key': created.key } }), 503, 'service_unavailable');
      await assertRefused(await handler(new Request('http://api.test/', { headers: { 'x-api-key': created.key } })), 503, 'service_unavailable');
      assert.equal(errors.length, 2);
      assert.ok(errors.every((e) => e instanceof PomeConnectionError));
    } finally {
      await app.close();
    }
  } finally {
    await lone.stop();
  }
});
