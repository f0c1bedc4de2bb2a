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

test('whoami answers who the key is', async () => {
  const team = await platform.createTeam({ name: 'Whoami Inc' });
  const created = await platform.createKey(team.id, { name: 'ci', environment: 'test', scopes: ['docs:read'], meta: { customer: 'cus_1' } });
  const pome = new Pome({ apiKey: created.key, baseUrl: server.baseUrl + '/' });
  const me = await pome.whoami();
  assert.equal(me.user, null, 'a key a service token made has no user');
  assert.deepEqual(me.team, { id: team.id, slug: team.slug, plan_tier: 'free' });
  assert.equal(me.api_key.id, created.id);
  assert.equal(me.api_key.environment, 'test');
  assert.deepEqual(me.api_key.scopes, ['docs:read']);
  assert.deepEqual(me.api_key.meta, { customer: 'cus_1' });
});

test('the constructors refuse a missing credential or a bad baseUrl', () => {
  assert.throws(() => new Pome({ baseUrl: 'http://127.0.0.1:1' }), /apiKey is required/);
  assert.throws(() => new PomePlatform({ serviceToken: ' ', baseUrl: 'http://127.0.0.1:1' }), /serviceToken is required/);
  assert.throws(() => new Pome({ apiKey: 'k', baseUrl: 'pome.example.com' }), /absolute http\(s\) URL/);
  assert.throws(() => new Pome({ apiKey: 'k', baseUrl: 'ftp://pome.example.com' }), /http or https/);
});
