// The SDK claims, in operations.json, one method for each operation of the
// public and platform APIs. This holds the claim to the document the
// server itself serves, so that an operation added to Pome fails here
// until the SDK has it.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import * as sdk from '../src/index.js';
import { startPome } from '../test-helpers/pome-server.js';

// The tags of the operations an SDK of API-key holders and platforms
// covers: GET /v1/me and POST /v1/keys/verify are tagged "Public API".
const COVERED_TAGS = ['Platform', 'Public API'];

let server;
before(async () => {
  server = await startPome();
});
after(() => server.stop());

test('operations.json names a method for exactly the Platform and Public API operations', async () => {
  const document = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
  const served = [];
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      if (operation?.operationId && operation.tags?.some((tag) => COVERED_TAGS.includes(tag))) served.push(operation.operationId);
    }
  }
  const claimed = JSON.parse(await readFile(new URL('../operations.json', import.meta.url), 'utf8'));
  assert.deepEqual(Object.keys(claimed).sort(), served.sort());

  for (const [operationId, name] of Object.entries(claimed)) {
    const [className, method] = name.split('.');
    assert.equal(typeof sdk[className]?.prototype?.[method], 'function', `${operationId}: ${name} is no method`);
  }
});

test("package.json's version is the API's, info.version", async () => {
  const document = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.version, document.info.version);
});

test('index.d.ts declares every export and every method of operations.json', async () => {
  const declarations = await readFile(new URL('../index.d.ts', import.meta.url), 'utf8');
  for (const name of Object.keys(sdk)) {
    assert.match(declarations, new RegExp(`export (class|function) ${name}\\b`), `${name} is not declared`);
  }
  const claimed = JSON.parse(await readFile(new URL('../operations.json', import.meta.url), 'utf8'));
  for (const name of Object.values(claimed)) {
    const [className, method] = name.split('.');
    const body = new RegExp(`export class ${className} \\{([^]*?)\\n\\}`).exec(declarations)[1];
    assert.match(body, new RegExp(`\\n  ${method}\\(`), `${name} is not declared`);
  }
});
