// Memory over many requests, in a process of its own (node --test runs each file in one):
// RSS after a warm-up vs after N more requests (H2O_SOAK_N, default 20000).
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
  const client = new Client();
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
  await fullGc();
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  await batch(N);
  const ms = Date.now() - t0;
  await fullGc();
  const rss1 = process.memoryUsage().rss;
  const growth = (rss1 - rss0) / 2 ** 20;
  console.log(`# ${N} requests in ${ms} ms (${Math.round((N / ms) * 1000)} req/s); RSS ${(rss0 / 2 ** 20).toFixed(1)} -> ${(rss1 / 2 ** 20).toFixed(1)} MiB (${growth.toFixed(1)} MiB)`);
  assert.ok(growth < 16, `RSS grew ${growth.toFixed(1)} MiB`);
  const st = client.stats();
  assert.equal(st.native.liveHandles, 0);
  assert.equal(st.inFlight, 0);
  await client.close();
});
