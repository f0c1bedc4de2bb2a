import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Pome, PomeConnectionError, PomeError, PomePlatform } from '../src/index.js';
import { startPome } from '../test-helpers/pome-server.js';

let server;
let platform;

before(async () => {
  server = await startPome();
  platform = new PomePlatform({ serviceToken: await server.serviceToken(), baseUrl: server.baseUrl });
});
after(() => server.stop());

function assertPomeError(error, { status, type, code, message }) {
  assert.ok(error instanceof PomeError, `${error} is a PomeError`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'PomeError');
  assert.equal(error.status, status);
  assert.equal(error.type, type);
  assert.equal(error.code, code);
  if (message) assert.equal(error.message, message);
  assert.match(error.requestId, /^req_[A-Za-z0-9]{20}$/);
  return true;
}

test('400: a missing required parameter', async () => {
  await assert.rejects(platform.createTeam({}), (e) => assertPomeError(e, {
    status: 400, type: 'invalid_request_error', code: 'missing_required_parameter', message: "Missing required parameter: 'name'",
  }));
});

test('401: an unknown service token, a malformed API key', async () => {
  const stranger = new PomePlatform({ serviceToken: 'pst_unknown', baseUrl: server.baseUrl });
  await assert.rejects(stranger.getTeam('tm_0000000000000000'), (e) => assertPomeError(e, {
    status: 401, type: 'authentication_error', code: 'invalid_service_token',
  }));
  const pome = new Pome({ apiKey: 'pme_notakey', baseUrl: server.baseUrl });
  await assert.rejects(pome.whoami(), (e) => assertPomeError(e, {
    status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'Invalid API key',
  }) && e.retryAfter === null);
});

test('403: a token without the scope, a revoked key', async () => {
  const verifyOnly = new PomePlatform({ serviceToken: await server.serviceToken('keys:verify'), baseUrl: server.baseUrl });
  await assert.rejects(verifyOnly.createTeam({ name: 'Nope' }), (e) => assertPomeError(e, {
    status: 403, type: 'permission_error', code: 'insufficient_scope',
  }));

  const team = await platform.createTeam({ name: 'Revoked Inc' });
  const created = await platform.createKey(team.id, { name: 'r' });
  await platform.revokeKey(created.id);
  await assert.rejects(new Pome({ apiKey: created.key, baseUrl: server.baseUrl }).whoami(), (e) => assertPomeError(e, {
    status: 403, type: 'permission_error', code: 'key_revoked', message: 'API key has been revoked',
  }));
});

test('404: an unknown key and team', async () => {
  await assert.rejects(platform.getKey('key_0000000000000000'), (e) => assertPomeError(e, {
    status: 404, type: 'not_found_error', code: 'key_not_found', message: 'API key not found',
  }));
  await assert.rejects(platform.getTeam('not-an-id/../x'), (e) => assertPomeError(e, { status: 404, type: 'not_found_error', code: 'team_not_found' }));
});

test("429: a key's rate limit, retried after Retry-After, or not when told not to", async () => {
  const team = await platform.createTeam({ name: 'Limited Inc' });
  const created = await platform.createKey(team.id, { name: 'l', rate_limit: { limit: 1, window_seconds: 1 } });

  const once = new Pome({ apiKey: created.key, baseUrl: server.baseUrl, maxRetries: 0 });
  await once.whoami();
  await assert.rejects(once.whoami(), (e) => assertPomeError(e, {
    status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded',
  }) && e.retryAfter === 1);

  await new Promise((r) => setTimeout(r, 1100));
  const patient = new Pome({ apiKey: created.key, baseUrl: server.baseUrl });
  await patient.whoami();
  const start = Date.now();
  const me = await patient.whoami();
  assert.equal(me.api_key.id, created.id);
  assert.ok(Date.now() - start >= 900, 'the second call waited for Retry-After and was served');
});

test('429: a Retry-After longer than maxRetryDelayMs is not waited for', async () => {
  const limited = await startPome(['--auth-failure-rate-limit', '2/1m']);
  try {
    const stranger = new PomePlatform({ serviceToken: 'pst_unknown', baseUrl: limited.baseUrl });
    for (let i = 0; i < 2; i++) await assert.rejects(stranger.getKey('key_0000000000000000'), { status: 401 });
    const start = Date.now();
    await assert.rejects(stranger.getKey('key_0000000000000000'), (e) => assertPomeError(e, {
      status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded',
    }) && e.retryAfter >= 20);
    assert.ok(Date.now() - start < 2000, 'answered at once');
  } finally {
    await limited.stop();
  }
});

// The fake below answers 503 to everything, counting calls: retries are
// about what the client sends, which a real server cannot be made to
// refuse on demand.
function unavailable() {
  const fake = async () => {
    fake.calls++;
    const body = { error: { message: 'Service temporarily unavailable', type: 'unavailable_error', code: 'service_unavailable', request_id: 'req_00000000000000000000' } };
    return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json' } });
  };
  fake.calls = 0;
  return fake;
}

test('503: GET, DELETE and verify are retried twice; a create and a PATCH never', async () => {
  const cases = [
    ['getKey', (p) => p.getKey('key_0000000000000000'), 3],
    ['revokeKey', (p) => p.revokeKey('key_0000000000000000'), 3],
    ['verify', (p) => p.verify({ key: 'pme_x' }), 3],
    ['createTeam', (p) => p.createTeam({ name: 'x' }), 1],
    ['createKey', (p) => p.createKey('tm_0000000000000000', { name: 'x' }), 1],
    ['rollKey', (p) => p.rollKey('key_0000000000000000'), 1],
    ['updateKey', (p) => p.updateKey('key_0000000000000000', { credits: { increment: 5 } }), 1],
  ];
  for (const [name, call, calls] of cases) {
    const fetch = unavailable();
    const p = new PomePlatform({ serviceToken: 'pst_x', baseUrl: 'http://pome.invalid', fetch, maxRetryDelayMs: 100 });
    await assert.rejects(call(p), { status: 503, code: 'service_unavailable', requestId: 'req_00000000000000000000' });
    assert.equal(fetch.calls, calls, name);
  }
});

test('an answer that is not Pome\'s error body still says its status', async () => {
  const fetch = async () => new Response('<h1>Bad Gateway</h1>', { status: 502, headers: { 'content-type': 'text/html', 'x-request-id': 'proxy-1' } });
  const p = new PomePlatform({ serviceToken: 'pst_x', baseUrl: 'http://pome.invalid', fetch });
  await assert.rejects(p.getTeam('tm_0000000000000000'), (e) => e instanceof PomeError && e.status === 502 &&
    e.code === 'unexpected_response' && e.requestId === 'proxy-1' && /is baseUrl a Pome server/.test(e.message));
});

test('no answer: PomeConnectionError, for a closed port and a timeout', async () => {
  const closed = new Pome({ apiKey: 'pme_x', baseUrl: 'http://127.0.0.1:9' });
  await assert.rejects(closed.whoami(), (e) => e instanceof PomeConnectionError && /GET \/v1\/me: Pome could not be reached/.test(e.message));

  const never = (url, init) => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
  const slow = new Pome({ apiKey: 'pme_x', baseUrl: 'http://pome.invalid', fetch: never, timeoutMs: 50 });
  await assert.rejects(slow.whoami(), (e) => e instanceof PomeConnectionError && /no answer within 50 ms/.test(e.message));
});

test('the credential never appears in an error', async () => {
  const secret = 'pst_never_shown_anywhere';
  const p = new PomePlatform({ serviceToken: secret, baseUrl: 'http://127.0.0.1:9' });
  const error = await p.getTeam('tm_0000000000000000').catch((e) => e);
  assert.ok(!JSON.stringify({ ...error, message: error.message, stack: error.stack }).includes(secret));
});
