// Every core setting as a client option, the pool's statistics, and TLS with a custom CA.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as h2o from '../index.mjs';
import { repoRoot, startTestServer } from './helpers.mjs';

const { Client, InvalidArgumentError, TlsError } = h2o;

test('pool, TLS and flood options are accepted and validated', async () => {
  const server = await startTestServer();
  const client = new Client({
    pingSoftTimeout: 2000,
    maxBufferedPerConnection: 1 << 20,
    poolMaxConnectionsPerOrigin: 2,
    poolMaxConnectionsTotal: 4,
    poolOverflow: 'openMore',
    poolIdleTimeout: null,
    poolBackoffBase: 50,
    poolBackoffMax: 1000,
    poolBreakerThreshold: 5,
    poolCheckAfterIdle: 0,
    poolConnectionRetryBudget: 10,
    poolRetryIdempotent: true,
    tlsUseSystemRoots: false,
    tlsHandshakeTimeout: 5000,
    floodPingsPerSec: 100,
    floodLocalResetsPerSec: 1000,
    readBufferSize: 2048,
    earlyFlushFrames: 16,
  });
  try {
    const res = await client.request(`${server.url}/hello`);
    assert.equal(await res.text(), 'Hello, world!');
  } finally {
    await client.close();
    server.close();
  }
  assert.throws(() => new Client({ poolOverflow: 'sometimes' }), (e) => e instanceof InvalidArgumentError && /poolOverflow/.test(e.message));
  assert.throws(() => new Client({ tlsPins: ['not base64!'] }), (e) => e instanceof InvalidArgumentError && /tlsPins/.test(e.message));
  assert.throws(() => new Client({ poolBreakerThreshold: 0 }), (e) => e instanceof InvalidArgumentError && /poolBreakerThreshold/.test(e.message));
  assert.throws(() => new Client({ tlsCaFile: 42 }), (e) => e instanceof InvalidArgumentError && /tlsCaFile/.test(e.message));
});

test('stats() include the core pool figures', async () => {
  const server = await startTestServer();
  const client = new Client();
  try {
    for (let i = 0; i < 3; i++) await (await client.request(`${server.url}/hello`)).text();
    const { pool } = client.stats();
    assert.equal(pool.connectionsCreated, 1);
    assert.equal(pool.acquisitionsHit, 2);
    assert.equal(pool.acquisitionsMiss, 1);
    assert.equal(pool.connections.length, 1);
    assert.match(pool.connections[0].origin, /^http:\/\/127\.0\.0\.1:/);
    assert.ok('idle' in pool.connectionsClosed && 'goaway' in pool.connectionsClosed);
  } finally {
    await client.close();
    server.close();
  }
});

test('https with a custom CA; unknown CA refused', async () => {
  const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'h2o-node-certs-'));
  execFileSync(path.join(repoRoot, 'tests', 'servers', 'gen-certs.sh'), [certs], { stdio: 'ignore' });
  const server = await startTestServer(['--tls', path.join(certs, 'server.pem'), path.join(certs, 'server.key')]);
  const url = `https://127.0.0.1:${server.port}/hello`;
  const trusting = new Client({ tlsCaFile: path.join(certs, 'ca.pem') });
  const plain = new Client();
  try {
    assert.equal(await (await trusting.request(url)).text(), 'Hello, world!');
    await assert.rejects(plain.request(url), (e) => e instanceof TlsError && /unknown CA/.test(e.message));
  } finally {
    await trusting.close();
    await plain.close();
    server.close();
  }
});

test('default priority options are accepted and range-checked', async () => {
  const server = await startTestServer();
  const client = new Client({ defaultUrgency: 1, defaultIncremental: true, defaultWeight: 200 });
  try {
    const res = await client.request(`${server.url}/hello`);
    assert.equal(await res.text(), 'Hello, world!');
  } finally {
    await client.close();
    server.close();
  }
  assert.throws(() => new Client({ readBufferSize: 100 }), (e) => e instanceof InvalidArgumentError && /readBufferSize/.test(e.message));
  assert.throws(() => new Client({ defaultUrgency: 8 }), (e) => e instanceof InvalidArgumentError && /defaultUrgency/.test(e.message));
  assert.throws(() => new Client({ defaultWeight: 0 }), (e) => e instanceof InvalidArgumentError && /defaultWeight/.test(e.message));
  assert.throws(() => new Client({ defaultIncremental: 1 }), (e) => e instanceof InvalidArgumentError && /defaultIncremental/.test(e.message));
});

test('every setting of docs/CONFIG.md is a client option', () => {
  // The table is generated from the core's settings registry; column 8 is the Node name.
  const documented = new Set();
  for (const line of fs.readFileSync(path.join(repoRoot, 'docs', 'CONFIG.md'), 'utf8').split('\n')) {
    const cells = line.trim().replace(/^\||\|$/g, '').split(' | ').map((c) => c.trim());
    if (line.startsWith('| `') && cells.length === 9) documented.add(cells[7].split('`')[1]);
  }
  assert.ok(documented.size > 50, `${documented.size}`);
  const { CLIENT_OPTION_KEYS } = createRequire(import.meta.url)('../lib/options.js');
  assert.deepEqual([...documented].sort(), CLIENT_OPTION_KEYS.filter((k) => k !== 'fromEnv').sort());
  for (const key of documented) {
    // An unknown key throws "is not a client option"; a known one at worst a value error.
    assert.throws(() => new Client({ [key]: Symbol('x') }), (e) => e instanceof InvalidArgumentError && !/is not a client option/.test(e.message) && e.message.includes(key), key);
  }
});

test('fromEnv layers the H2O_CONFIG file, then H2O_<SETTING> variables', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h2o-env-'));
  const file = path.join(dir, 'h2o.json');
  // The file alone is invalid (backoff max below base); the variable fixes it.
  fs.writeFileSync(file, '{"runtime_threads": 2, "pool": {"backoff_base_ms": 5000, "backoff_max_ms": 100}}');
  const saved = { ...process.env };
  const server = await startTestServer();
  try {
    process.env.H2O_CONFIG = file;
    assert.throws(() => new Client({ fromEnv: true }), (e) => e instanceof InvalidArgumentError && /pool_backoff_max_ms/.test(e.message));
    process.env.H2O_POOL_BACKOFF_MAX_MS = '9000';
    const client = new Client({ fromEnv: true, maxRetries: 0 });
    try {
      const res = await client.request(`${server.url}/hello`);
      assert.equal(await res.text(), 'Hello, world!');
    } finally {
      await client.close();
    }
    process.env.H2O_MAX_FRAME_SIZ = '1';
    assert.throws(() => new Client({ fromEnv: true }), (e) => e instanceof InvalidArgumentError && /H2O_MAX_FRAME_SIZ/.test(e.message));
    // Without fromEnv the environment is not read.
    await new Client({}).close();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
