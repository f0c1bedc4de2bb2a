import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Pome, PomePlatform } from '../src/index.js';
import { startPome } from '../test-helpers/pome-server.js';

let server;
let platform;

before(async () => {
  server = await startPome();
  platform = new PomePlatform({ serviceToken: await server.serviceToken(), baseUrl: server.baseUrl });
});
after(() => server.stop());

test('teams: create, get, find by external id, update', async () => {
  const team = await platform.createTeam({ name: 'Acme Inc', external_id: 'org_42', plan_tier: 'pro' });
  assert.match(team.id, /^tm_/);
  assert.equal(team.name, 'Acme Inc');
  assert.equal(team.external_id, 'org_42');
  assert.equal(team.plan_tier, 'pro');
  assert.equal(team.status, 'active');

  assert.deepEqual(await platform.getTeam(team.id), team);
  assert.deepEqual(await platform.findTeamByExternalId('org_42'), team);
  assert.equal(await platform.findTeamByExternalId('org_nobody'), null);

  const changed = await platform.updateTeam(team.id, { name: 'Acme Corp', plan_tier: 'enterprise' });
  assert.equal(changed.name, 'Acme Corp');
  assert.equal(changed.plan_tier, 'enterprise');
});

test('keys: create, get, update, roll, revoke', async () => {
  const team = await platform.createTeam({ name: 'Keys Inc' });
  const created = await platform.createKey(team.id, {
    name: 'acme-prod', description: 'production', expires_in_days: 90, meta: { customer: 'cus_123' },
    scopes: ['docs:read'], rate_limit: { limit: 100, window_seconds: 60 }, allowed_cidrs: ['10.0.0.0/8'],
  });
  assert.match(created.key, /^pme_/);
  assert.equal(created.role, 'developer', 'a token-made key is a developer by default');
  assert.equal(created.team_id, team.id);

  const key = await platform.getKey(created.id);
  assert.equal(key.key, undefined, 'the plaintext is shown once only');
  assert.equal(key.name, 'acme-prod');
  assert.match(key.created_by, /^stk_/);
  assert.deepEqual(key.rate_limit, { limit: 100, window_seconds: 60 });
  assert.deepEqual(key.allowed_cidrs, ['10.0.0.0/8']);

  const updated = await platform.updateKey(created.id, { name: 'acme-live', rate_limit: null, enabled: false });
  assert.equal(updated.name, 'acme-live');
  assert.equal(updated.rate_limit, null);
  assert.equal(updated.enabled, false);

  const rolled = await platform.rollKey(created.id, { expire_old_in_hours: 0 });
  assert.equal(rolled.rolled_from, created.id);
  assert.equal(rolled.old_key.id, created.id);
  assert.notEqual(rolled.key, created.key);
  assert.equal(rolled.name, 'acme-live', 'the replacement copies every field');

  const defaultRoll = await platform.rollKey(rolled.id);
  assert.equal(defaultRoll.rolled_from, rolled.id);

  const revoked = await platform.revokeKey(defaultRoll.id);
  assert.deepEqual(revoked, { success: true, message: 'API key revoked successfully', id: defaultRoll.id });
  assert.equal((await platform.getKey(defaultRoll.id)).status, 'revoked');
  assert.deepEqual(await platform.revokeKey(defaultRoll.id), revoked, 'revoking again succeeds again');
});

test('reportLeak revokes a published key, and answers alike for any key', async () => {
  const team = await platform.createTeam({ name: 'Leaky Inc' });
  const created = await platform.createKey(team.id, { name: 'pasted' });
  assert.deepEqual(await platform.reportLeak(created.key), { status: 'received' });
  assert.equal((await platform.getKey(created.id)).status, 'revoked');
  assert.deepEqual(await platform.reportLeak('pme_not_a_key'), { status: 'received' });
});

test('keys: listKeys pages by cursor and keys() iterates over every page', async () => {
  const team = await platform.createTeam({ name: 'Many Keys Inc' });
  const ids = [];
  for (let i = 0; i < 105; i++) ids.push((await platform.createKey(team.id, { name: `k${i}` })).id);
  const newestFirst = [...ids].reverse();

  const first = await platform.listKeys(team.id, { limit: 40 });
  assert.equal(first.keys.length, 40);
  assert.equal(typeof first.next_cursor, 'string');
  const second = await platform.listKeys(team.id, { limit: 40, cursor: first.next_cursor });
  const third = await platform.listKeys(team.id, { limit: 40, cursor: second.next_cursor });
  assert.equal(third.keys.length, 25);
  assert.equal(third.next_cursor, null, 'the last page has no cursor');
  assert.deepEqual([...first.keys, ...second.keys, ...third.keys].map((k) => k.id), newestFirst);

  const iterated = [];
  for await (const key of platform.keys(team.id)) iterated.push(key.id);
  assert.deepEqual(iterated, newestFirst, 'two pages of 100 and 5');

  await platform.revokeKey(ids[0]);
  const revoked = [];
  for await (const key of platform.keys(team.id, { status: 'revoked' })) revoked.push(key.id);
  assert.deepEqual(revoked, [ids[0]]);
  assert.deepEqual((await platform.listKeys(team.id, { q: 'k104' })).keys.map((k) => k.id), [ids[104]]);
});

test('verify answers whether a key may be used, and usage counts it', async () => {
  const team = await platform.createTeam({ name: 'Verify Inc', external_id: 'org_verify' });
  const created = await platform.createKey(team.id, { name: 'v', role: 'viewer', scopes: ['orders:*'] });

  const valid = await platform.verify({ key: created.key, scopes: ['orders:read'] });
  assert.equal(valid.valid, true);
  assert.equal(valid.code, 'VALID');
  assert.equal(valid.key.id, created.id);
  assert.equal(valid.team.external_id, 'org_verify');

  const write = await platform.verify({ key: created.key, permission: 'write' });
  assert.equal(write.code, 'INSUFFICIENT_PERMISSIONS');
  assert.equal((await platform.verify({ key: created.key, scopes: ['billing:read'] })).code, 'INSUFFICIENT_SCOPE');
  const invalid = await platform.verify({ key: 'pme_notakey' });
  assert.deepEqual([invalid.valid, invalid.code, invalid.key], [false, 'INVALID', null]);

  // Counts are written at least every second.
  const today = await eventually(async () => {
    const usage = await platform.keyUsage(created.id, { days: 1 });
    const day = usage.days.at(-1);
    return day.total >= 3 ? { usage, day } : null;
  });
  assert.equal(today.usage.key_id, created.id);
  assert.equal(today.usage.days.length, 1);
  assert.equal(today.day.valid, 1);
  assert.equal(today.day.insufficient_permissions, 1);
  assert.equal(today.day.insufficient_scope, 1);

  const teamUsage = await platform.teamUsage(team.id);
  assert.equal(teamUsage.days.length, 30, "the server's default, 30 days");
  assert.equal(teamUsage.days.at(-1).total, 3);
});

test('portal sessions: a one-time link into the dashboard', async () => {
  const team = await platform.createTeam({ name: 'Portal Inc' });
  const session = await platform.createPortalSession({ team: team.id, email: 'alice@example.com', role: 'admin' });
  assert.match(session.url, /^http:\/\/pome\.test\/portal\/[A-Za-z0-9]{43}$/);
  assert.ok(Date.parse(session.expires_at) > Date.now());
});

test('webhooks: create, list, deliveries, delete', async () => {
  const team = await platform.createTeam({ name: 'Hooks Inc' });
  // Nobody listens there: the attempts fail, and are logged all the same.
  const hook = await platform.createWebhook({ url: 'http://127.0.0.1:9/hook', events: ['key.created'], team: team.id });
  assert.match(hook.secret, /^whsec_/);
  assert.equal(hook.team, team.id);

  const listed = (await platform.listWebhooks()).webhooks.find((w) => w.id === hook.id);
  assert.equal(listed.secret, undefined, 'the secret is shown once only');
  assert.deepEqual(listed.events, ['key.created']);

  await platform.createKey(team.id, { name: 'hooked' });
  const page = await eventually(async () => {
    const p = await platform.listWebhookDeliveries(hook.id);
    return p.deliveries.length > 0 ? p : null;
  });
  assert.equal(page.deliveries[0].type, 'key.created');
  assert.equal(page.deliveries[0].outcome, 'retrying');
  assert.equal(page.next_cursor, null);
  const all = [];
  for await (const d of platform.webhookDeliveries(hook.id)) all.push(d);
  assert.ok(all.length >= 1);

  assert.deepEqual(await platform.deleteWebhook(hook.id), { success: true, message: 'Webhook endpoint deleted', id: hook.id });
  assert.equal((await platform.listWebhooks()).webhooks.some((w) => w.id === hook.id), false);
});

test('Pome and PomePlatform share nothing: an API key is no service token', async () => {
  const team = await platform.createTeam({ name: 'Split Inc' });
  const created = await platform.createKey(team.id, { name: 'c' });
  const asPlatform = new PomePlatform({ serviceToken: created.key, baseUrl: server.baseUrl });
  await assert.rejects(asPlatform.getTeam(team.id), { status: 401, code: 'invalid_service_token' });
  const me = await new Pome({ apiKey: created.key, baseUrl: server.baseUrl }).whoami();
  assert.equal(me.api_key.id, created.id);
});

async function eventually(probe, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`no answer in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
