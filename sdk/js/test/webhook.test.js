import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { PomePlatform, WebhookVerificationError, verifyWebhook } from '../src/index.js';
import { startPome } from '../test-helpers/pome-server.js';

let server;
let receiver;
let delivery; // {headers, body} of the one delivery the test waits for
let secret;
let createdKey;

// A delivery Pome signed, to a node:http receiver on 127.0.0.1 (pome serve
// --webhook-allow-private lets it deliver there).
before(async () => {
  server = await startPome();
  const platform = new PomePlatform({ serviceToken: await server.serviceToken(), baseUrl: server.baseUrl });
  const received = new Promise((resolve) => {
    receiver = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(204).end();
        resolve({ headers: req.headers, body: Buffer.concat(chunks) });
      });
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));

  const team = await platform.createTeam({ name: 'Webhook Inc' });
  const hook = await platform.createWebhook({ url: `http://127.0.0.1:${receiver.address().port}/pome-events`, events: ['key.created'], team: team.id });
  secret = hook.secret;
  createdKey = await platform.createKey(team.id, { name: 'announced' });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('no delivery in 15 s')), 15_000);
  });
  delivery = await Promise.race([received, timeout]).finally(() => clearTimeout(timer));
});
after(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await server.stop();
});

test("verifies a delivery Pome signed, and returns its event", async () => {
  const event = await verifyWebhook(secret, delivery.headers, delivery.body);
  assert.equal(event.type, 'key.created');
  assert.equal(event.data.target_id, createdKey.id);
  assert.equal(event.data.event_id, delivery.headers['webhook-id']);
  assert.ok(!JSON.stringify(event).includes(createdKey.key), 'no plaintext key in an event');

  // The body as a string, the headers as a Headers object, in any letter case.
  const headers = new Headers(Object.entries(delivery.headers).filter(([, v]) => typeof v === 'string'));
  assert.deepEqual(await verifyWebhook(secret, headers, delivery.body.toString('utf8')), event);
  const upper = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toUpperCase(), v]));
  assert.deepEqual(await verifyWebhook(secret, upper, delivery.body), event);
});

test('a matching v1 signature among several is enough; other versions are ignored', async () => {
  const signature = delivery.headers['webhook-signature'];
  const headers = { ...delivery.headers, 'webhook-signature': `v2,${signature.slice(3)} v1,AAAA ${signature}` };
  assert.equal((await verifyWebhook(secret, headers, delivery.body)).type, 'key.created');
});

test('refuses a changed body, a wrong secret, a stale timestamp, missing headers', async () => {
  const refused = (message) => (e) => e instanceof WebhookVerificationError && message.test(e.message);
  const tampered = Buffer.from(delivery.body.toString().replace('key.created', 'key.revoked'));
  await assert.rejects(verifyWebhook(secret, delivery.headers, tampered), refused(/no webhook-signature matches/));
  await assert.rejects(verifyWebhook('whsec_' + btoa('another secret of 32 bytes long!'), delivery.headers, delivery.body), refused(/no webhook-signature matches/));

  const later = new Date((Number(delivery.headers['webhook-timestamp']) + 301) * 1000);
  await assert.rejects(verifyWebhook(secret, delivery.headers, delivery.body, { now: later }), refused(/more than 300 s away/));
  const sooner = new Date((Number(delivery.headers['webhook-timestamp']) - 301) * 1000);
  await assert.rejects(verifyWebhook(secret, delivery.headers, delivery.body, { now: sooner }), refused(/more than 300 s away/));

  const { 'webhook-signature': _, ...unsigned } = delivery.headers;
  await assert.rejects(verifyWebhook(secret, unsigned, delivery.body), refused(/missing webhook-id/));
  await assert.rejects(verifyWebhook(secret, { ...delivery.headers, 'webhook-timestamp': 'soon' }, delivery.body), refused(/not Unix seconds/));
  await assert.rejects(verifyWebhook(secret, { ...delivery.headers, 'webhook-signature': 'v1,!!!' }, delivery.body), refused(/no webhook-signature matches/));
  await assert.rejects(verifyWebhook(undefined, delivery.headers, delivery.body), TypeError);
});
