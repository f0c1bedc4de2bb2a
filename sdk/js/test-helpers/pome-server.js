// Starts a real `pome serve` for a test file, from the binary POME_BIN
// names (go test ./sdk builds it). Outside test/, so that node --test does
// not take it for a test file.

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const STARTUP_MS = 15_000;

function pomeBin() {
  const bin = process.env.POME_BIN;
  if (!bin) throw new Error('POME_BIN is not set: run `go test ./sdk -run TestJavaScriptSDK`, or set it to a pome binary');
  return bin;
}

// The server's flags come from the command line only: a POME_* variable of
// the caller's shell (POME_ADDR, POME_DATABASE_URL) would change them.
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('POME_')));
}

/**
 * @param {string[]} [extraArgs] more flags of pome serve
 * @returns {Promise<PomeServer>}
 */
export async function startPome(extraArgs = []) {
  const dataDir = await mkdtemp(join(tmpdir(), 'pome-js-'));
  const args = ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--signup', 'open',
    '--webhook-allow-private', '--public-url', 'http://pome.test', ...extraArgs];
  const child = spawn(pomeBin(), args, { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pome serve did not start in ${STARTUP_MS} ms:\n${output}`)), STARTUP_MS);
    const onData = (chunk) => {
      output += chunk;
      const m = /Pome listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pome serve exited with ${code}:\n${output}`));
    });
  });
  return new PomeServer(child, baseUrl, dataDir);
}

class PomeServer {
  constructor(child, baseUrl, dataDir) {
    this.child = child;
    this.baseUrl = baseUrl;
    this.dataDir = dataDir;
    this.exited = new Promise((resolve) => child.on('exit', resolve));
    this.tokens = 0;
  }

  /** A new service token with scopes (comma-separated), as `pome admin service-token create` prints it. */
  async serviceToken(scopes = 'all') {
    const name = `js-test-${++this.tokens}`;
    const { stdout } = await run(pomeBin(), ['admin', 'service-token', 'create', name, '--data-dir', this.dataDir, '--scope', scopes],
      { env: cleanEnv() });
    return stdout.trim();
  }

  /** Ends the server as kill -9 would: nothing it holds is flushed. */
  async kill() {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
