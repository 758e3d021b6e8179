// Process lifetime and memory: exit with requests in flight, unref, GC of dropped
// responses and clients, RSS over many requests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '../index.mjs';
import { fullGc, gcUntil, liveObjects, pkgRoot, startTestServer } from './helpers.mjs';

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
    const base = liveObjects();
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
    assert.ok(liveObjects().sinks >= base.sinks + 20, 'the core holds the 20 unfinished requests');
    // Every native trace of the dropped responses goes: the JS request state, the
    // binding's handles, the core's streams and sinks, and the lent body chunks.
    const freed = () => {
      const st = client.stats();
      const lo = liveObjects();
      return (
        st.inFlight === 0 &&
        st.native.liveHandles === 0 &&
        st.pool.openStreams === 0 &&
        lo.sinks === base.sinks &&
        lo.externalBuffers === base.externalBuffers
      );
    };
    const ok = await gcUntil(freed);
    const st = client.stats();
    assert.ok(ok, `not freed: ${JSON.stringify({ inFlight: st.inFlight, native: st.native, openStreams: st.pool.openStreams, live: liveObjects(), base })}`);
    assert.ok(st.native.bytesReceived < 20 * (50 << 20), 'streams stopped early');
    await client.close();
  });

  test('responses never read are freed', async () => {
    const base = liveObjects();
    const client = new Client();
    await Promise.all(Array.from({ length: 100 }, () => client.request(`${server.url}/bytes/100000`)));
    const ok = await gcUntil(
      () =>
        client.stats().native.liveHandles === 0 &&
        liveObjects().sinks === base.sinks &&
        liveObjects().externalBuffers === base.externalBuffers,
    );
    assert.ok(ok, `not freed: ${JSON.stringify({ native: client.stats().native, live: liveObjects(), base })}`);
    await client.close();
  });

  test('a body chunk lent to JS is freed when its buffer is collected', async () => {
    const client = new Client();
    const base = liveObjects();
    // (read in an inner function: a suspended async frame may keep its last locals alive)
    let kept = await (async () => {
      const chunks = [];
      const res = await client.request(`${server.url}/bytes/${1 << 20}`);
      for await (const c of res.body) chunks.push(c);
      return chunks;
    })();
    assert.equal(kept.reduce((n, c) => n + c.length, 0), 1 << 20);
    const held = liveObjects();
    assert.ok(held.externalBuffers > base.externalBuffers, 'chunks >= 4 KiB are lent, not copied');
    assert.ok(held.externalBytes - base.externalBytes >= 512 << 10, `${held.externalBytes - base.externalBytes} bytes lent`);
    await fullGc();
    assert.ok(liveObjects().externalBuffers > base.externalBuffers, 'still referenced: not freed');
    kept = null;
    const ok = await gcUntil(() => liveObjects().externalBuffers === base.externalBuffers);
    assert.ok(ok, `lent chunks not freed: ${JSON.stringify(liveObjects())}`);
    assert.equal(liveObjects().externalBytes, base.externalBytes);
    await client.close();
  });

  test('clients dropped without close() are closed (runtime threads end, native state freed)', async () => {
    await fullGc();
    await new Promise((r) => setTimeout(r, 200));
    const base = threads();
    const live0 = liveObjects();
    await (async () => {
      for (let i = 0; i < 10; i++) {
        const c = new Client();
        const res = await c.request(`${server.url}/bytes/${10 << 20}`);
        await res.body[Symbol.asyncIterator]().next(); // dropped mid-stream, with its client
      }
    })();
    assert.ok(threads() >= base + 10, `${threads()} threads with 10 clients (base ${base})`);
    const live1 = liveObjects();
    assert.equal(live1.nativeClients, live0.nativeClients + 10);
    assert.equal(live1.coreClients, live0.coreClients + 10);
    assert.ok(live1.sinks >= live0.sinks + 10);
    const ok = await gcUntil(() => {
      const lo = liveObjects();
      return (
        threads() <= base &&
        lo.nativeClients === live0.nativeClients &&
        lo.coreClients === live0.coreClients &&
        lo.sinks === live0.sinks &&
        lo.externalBuffers === live0.externalBuffers
      );
    }, 10000);
    assert.ok(ok, `threads ${threads()} (base ${base}); live ${JSON.stringify(liveObjects())} (base ${JSON.stringify(live0)})`);
  });

  test('a closed client frees its core at once and its wrapper when collected', async () => {
    await fullGc();
    const live0 = liveObjects();
    await (async () => {
      const c = new Client();
      await (await c.request(`${server.url}/hello`)).text();
      assert.equal(liveObjects().coreClients, live0.coreClients + 1);
      await c.close();
      // close() resolves after the core has shut down and dropped its sinks.
      assert.equal(liveObjects().coreClients, live0.coreClients);
      assert.equal(liveObjects().sinks, live0.sinks);
    })();
    const ok = await gcUntil(() => liveObjects().nativeClients === live0.nativeClients);
    assert.ok(ok, `NativeClient not collected: ${JSON.stringify(liveObjects())} (base ${JSON.stringify(live0)})`);
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
