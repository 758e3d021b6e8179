// Process lifetime and memory: exit with requests in flight, unref, GC of dropped
// responses and clients, RSS over many requests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '../index.mjs';
import { fullGc, pkgRoot, startTestServer } from './helpers.mjs';

let server;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const entry = path.join(pkgRoot, 'index.js');

/** Runs `code` in a child node; resolves { code, signal, stdout, stderr, ms }. */
function runChild(code, { timeoutMs = 15000, args = [] } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [...args, '-e', code], {
      env: { ...process.env, H2O_URL: server.url, H2O_ENTRY: entry },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const PRELUDE = `const h2o = require(process.env.H2O_ENTRY); const U = process.env.H2O_URL;`;

describe('process exit', () => {
  test('process.exit() with 50 requests in flight: no crash, no hang', async () => {
    const r = await runChild(`${PRELUDE}
      const c = new h2o.Client();
      for (let i = 0; i < 50; i++) c.request(U + '/delay/5000').catch(() => {});
      c.request(U + '/bytes/' + (100 << 20)).then(async (res) => { for await (const _ of res.body) {} }).catch(() => {});
      setTimeout(() => { console.log('exiting'); process.exit(0); }, 200);`);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /exiting/);
    assert.ok(r.ms < 5000, `exited in ${r.ms} ms`);
  });

  test('unref(): the script ends while requests are in flight', async () => {
    const r = await runChild(`${PRELUDE}
      const c = new h2o.Client().unref();
      for (let i = 0; i < 10; i++) c.request(U + '/delay/5000').catch(() => {});
      console.log('done');`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < 4000, `exited in ${r.ms} ms`);
  });

  test('a referenced client keeps the process alive until its responses arrive', async () => {
    const r = await runChild(`${PRELUDE}
      const c = new h2o.Client();
      c.request(U + '/delay/300').then((res) => res.text()).then((t) => console.log('body', t));`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /body Hello, world!/);
    assert.ok(r.ms >= 300);
  });

  test('an idle client that is never closed does not hold the process', async () => {
    const r = await runChild(`${PRELUDE}
      const c = new h2o.Client();
      c.request(U + '/hello').then((res) => res.text()).then((t) => console.log(t));`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Hello, world!/);
    assert.ok(r.ms < 4000, `exited in ${r.ms} ms`);
  });

  test('an uncaught exception with requests in flight exits with 1, no crash', async () => {
    const r = await runChild(`${PRELUDE}
      const c = new h2o.Client();
      for (let i = 0; i < 20; i++) c.request(U + '/delay/5000').catch(() => {});
      setTimeout(() => { throw new Error('boom'); }, 100);`);
    assert.equal(r.signal, null);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /boom/);
    assert.doesNotMatch(r.stderr, /panicked|FATAL|Segmentation/);
  });

  test('close() with requests in flight lets the process end', async () => {
    const r = await runChild(`${PRELUDE}
      const c = new h2o.Client();
      const ps = [];
      for (let i = 0; i < 20; i++) ps.push(c.request(U + '/delay/5000').catch((e) => e.code));
      setTimeout(async () => { await c.close(); console.log((await Promise.all(ps)).join()); }, 100);`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ECANCELLED(,ECANCELLED){19}$/m);
    assert.ok(r.ms < 4000);
  });
});

function threads() {
  return fs.readdirSync('/proc/self/task').length;
}

describe('garbage collection', () => {
  test('responses dropped mid-stream are cancelled and freed', async () => {
    // Unread responses hold their stream window (backpressure): room for 20 on one connection.
    const client = new Client({ connectionWindowSize: 64 << 20, adaptiveWindow: false });
    // (in an inner function: a suspended async frame may keep its last locals alive)
    await (async () => {
      for (let i = 0; i < 20; i++) {
        const res = await client.request(`${server.url}/bytes/${50 << 20}`);
        await res.body[Symbol.asyncIterator]().next();
      }
    })();
    assert.ok(client.stats().inFlight > 0);
    const end = Date.now() + 5000;
    while (Date.now() < end && (client.stats().inFlight > 0 || client.stats().native.liveHandles > 0)) {
      await fullGc();
      await new Promise((r) => setTimeout(r, 20));
    }
    const st = client.stats();
    assert.equal(st.inFlight, 0);
    assert.equal(st.native.liveHandles, 0);
    assert.ok(st.native.bytesReceived < 20 * (50 << 20), 'streams stopped early');
    await client.close();
  });

  test('responses never read are freed', async () => {
    const client = new Client();
    await Promise.all(Array.from({ length: 100 }, () => client.request(`${server.url}/bytes/100000`)));
    const end = Date.now() + 5000;
    while (Date.now() < end && client.stats().native.liveHandles > 0) {
      await fullGc();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(client.stats().native.liveHandles, 0);
    await client.close();
  });

  test('clients dropped without close() are closed (runtime threads end)', async () => {
    await fullGc();
    await new Promise((r) => setTimeout(r, 200));
    const base = threads();
    await (async () => {
      for (let i = 0; i < 10; i++) {
        const c = new Client();
        const res = await c.request(`${server.url}/bytes/${10 << 20}`);
        await res.body[Symbol.asyncIterator]().next(); // dropped mid-stream, with its client
      }
    })();
    assert.ok(threads() >= base + 10, `${threads()} threads with 10 clients (base ${base})`);
    const end = Date.now() + 10000;
    while (Date.now() < end && threads() > base) {
      await fullGc();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(threads() <= base, `threads back to ${threads()} (base ${base})`);
  });
});

describe('client lifetime', () => {
  test('a client that is not referenced stays alive while its requests and responses are', async () => {
    const t0 = threads();
    const res = await (async () => new Client().request(`${server.url}/bytes/${4 << 20}`))();
    for (let i = 0; i < 3; i++) await fullGc();
    let n = 0;
    for await (const c of res.body) {
      n += c.length;
      if (n < 3 << 20) await fullGc();
    }
    assert.equal(n, 4 << 20);
    assert.ok(threads() >= t0);
    const p = (async () => (await new Client().request(`${server.url}/delay/300`)).text())();
    await fullGc();
    assert.equal(await p, 'Hello, world!');
  });
});
