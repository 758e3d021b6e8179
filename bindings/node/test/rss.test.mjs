// Memory over many requests, in a process of its own (node --test runs each file in one):
// RSS after a warm-up, then after two batches of N requests (H2O_SOAK_N, default 20000);
// H2O_MAXBUF sets maxBufferedPerConnection (0: connection credit only on consumption).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '../index.mjs';
import { fullGc, startTestServer } from './helpers.mjs';

let server;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test(`RSS stays flat over ${Number(process.env.H2O_SOAK_N || 20000)} requests`, async () => {
  const N = Number(process.env.H2O_SOAK_N || 20000);
  const client = new Client({ maxBufferedPerConnection: Number(process.env.H2O_MAXBUF ?? 64 << 20) });
  const batch = async (n) => {
    for (let done = 0; done < n; done += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const res = await client.request(`${server.url}/bytes/${(done + i) % 3 === 0 ? 20000 : 13}`);
          await res.arrayBuffer();
        }),
      );
    }
  };
  await batch(Number(process.env.H2O_SOAK_WARMUP || 20000)); // warm up: allocator arenas and the V8 heap reach their working size
  // Two measured batches: the first may still settle V8's heap and the allocator's arenas;
  // a leak keeps growing through the second, flat memory does not.
  await fullGc();
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  await batch(N);
  const ms = Date.now() - t0;
  await fullGc();
  const rss1 = process.memoryUsage().rss;
  await batch(N);
  await fullGc();
  const rss2 = process.memoryUsage().rss;
  const mib = (x) => (x / 2 ** 20).toFixed(1);
  const growth = (rss2 - rss1) / 2 ** 20;
  console.log(`# ${N} requests in ${ms} ms (${Math.round((N / ms) * 1000)} req/s); RSS ${mib(rss0)} -> ${mib(rss1)} -> ${mib(rss2)} MiB`);
  assert.ok(growth < 16, `RSS kept growing: ${growth.toFixed(1)} MiB over the second ${N} requests`);
  const st = client.stats();
  assert.equal(st.native.liveHandles, 0);
  assert.equal(st.inFlight, 0);
  await client.close();
});
