// Memory over 100 000 requests (H2O_SOAK_N), in a process of its own (node --test runs each
// file in one; `npm test` runs node with --expose-gc). A warm-up (the first fifth), then
// eight measured batches, each followed by full GCs and a sample of:
//   - the native objects still alive (request sinks in the core, body chunks lent to JS,
//     the binding's request handles): exactly zero between batches;
//   - the C allocator's bytes in use (glibc mallinfo2: Node's and the addon's malloc heap,
//     not V8's JS heap): the exact measure of a native leak;
//   - the JS heap in use (a JS leak);
//   - RSS outside V8's heap after `malloc_trim(0)`: what the process really holds, minus
//     the free memory the allocator keeps for reuse (see below).
// Plain RSS is reported, not asserted flat: it is dominated by two bounded, non-leak
// high-water marks. V8 grows its young generation to its limit (~30 MiB) over the first
// ~40 000 requests. And glibc keeps 10..45 MiB of *free* memory: body chunks of 4 KiB or
// more are lent to JS as external buffers over the connection's read buffer (~64 KiB
// blocks), and a block is freed only when V8 has collected every chunk lent from it, so
// between GCs many blocks are pinned; after the GC they are free but stay in the
// allocator's arenas. mallinfo2 shows the growth is all free memory (in use stays ~4 MiB),
// and malloc_trim returns it. The pure-Rust core doing the same loop stays at 4.2 MiB RSS.
// Bodies: 13 bytes (copied into JS) and, every fourth request, 16 KiB (lent).
// H2O_MAXBUF sets maxBufferedPerConnection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import v8 from 'node:v8';
import { Client } from '../index.mjs';
import { fullGc, liveObjects, native, startTestServer } from './helpers.mjs';

let server;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const N = Number(process.env.H2O_SOAK_N || 100000);
const MIB = 2 ** 20;
const mib = (x) => (x / MIB).toFixed(1);

test(`memory stays flat over ${N} requests`, async () => {
  assert.equal(typeof globalThis.gc, 'function', 'run with node --expose-gc (npm test does)');
  const opts = process.env.H2O_MAXBUF === undefined ? {} : { maxBufferedPerConnection: Number(process.env.H2O_MAXBUF) };
  const client = new Client(opts);
  let k = 0;
  const batch = async (n) => {
    for (let done = 0; done < n; done += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const size = k++ % 4 === 3 ? 16384 : 13;
          const res = await client.request(`${server.url}/bytes/${size}`);
          assert.equal((await res.arrayBuffer()).byteLength, size);
        }),
      );
    }
  };
  const sample = async () => {
    await fullGc();
    const m = process.memoryUsage();
    const malloc = native.mallocStats(); // null off glibc
    native.mallocTrim();
    const trimmedRss = process.memoryUsage().rss;
    const v8phys = v8.getHeapStatistics().total_physical_size;
    const st = client.stats();
    return {
      rss: m.rss,
      heapUsed: m.heapUsed,
      native: trimmedRss - v8phys,
      mallocInUse: malloc ? malloc[0] : 0,
      mallocFree: malloc ? malloc[1] : 0,
      live: liveObjects(),
      handles: st.native.liveHandles,
      inFlight: st.inFlight,
      openStreams: st.pool.openStreams,
    };
  };

  const batches = 8;
  const per = Math.floor((N * 4) / 5 / batches / 100) * 100; // 10 000 of 100 000
  const warmup = N - per * batches;
  const t0 = Date.now();
  await batch(warmup);
  const s = [await sample()];
  for (let b = 0; b < batches; b++) {
    await batch(per);
    s.push(await sample());
  }
  const ms = Date.now() - t0;
  console.log(`# ${N} requests in ${ms} ms (${Math.round((N / ms) * 1000)} req/s); after ${warmup}, then every ${per}:`);
  for (const [i, x] of s.entries()) {
    console.log(
      `#  ${String(warmup + i * per).padStart(7)}: RSS ${mib(x.rss)} MiB (trimmed, without V8 heap ${mib(x.native)}), ` +
        `malloc in use ${mib(x.mallocInUse)} free ${mib(x.mallocFree)}, JS heap ${mib(x.heapUsed)}`,
    );
  }

  // 1. No per-request native state survives its request.
  for (const x of s) {
    assert.equal(x.live.sinks, 0, 'request sinks held by the core');
    assert.equal(x.live.externalBuffers, 0, 'body chunks lent to JS and not finalized');
    assert.equal(x.handles, 0, 'binding request handles');
    assert.equal(x.inFlight, 0);
    assert.equal(x.openStreams, 0);
  }
  const first = s[0];
  const last = s[s.length - 1];
  const measured = per * batches;
  // Growth is taken to the lower of the last two samples: a leak grows steadily and shows
  // in both, a transient (a V8 background task's buffers at that instant) in one.
  const end = (f) => Math.min(f(s[s.length - 2]), f(last));
  // 2. Native heap in use: a leak of one allocation per request (at least 32 bytes with
  // malloc's header) would add 2.4 MiB over 80 000 requests; the bound is 24 bytes per
  // request (1.8 MiB). Measured: +0.3..0.8 MiB, V8's and Node's own malloc use creeping
  // up (the same with 13-byte bodies only, i.e. without lent chunks; the pure-Rust core
  // doing this loop: +0.05 MiB, and no more after 400 000 requests).
  if (native.mallocStats() !== null) {
    const bound = (measured * 24) / MIB;
    const grew = (end((x) => x.mallocInUse) - first.mallocInUse) / MIB;
    assert.ok(grew < bound, `native heap in use grew ${grew.toFixed(2)} MiB over ${measured} requests (bound ${bound.toFixed(2)})`);
  }
  // 3. JS heap: nothing per request stays reachable.
  const heapGrew = (last.heapUsed - first.heapUsed) / MIB;
  assert.ok(heapGrew < 1, `JS heap grew ${heapGrew.toFixed(2)} MiB over ${measured} requests`);
  // 4. What the process holds outside V8's heap (RSS after malloc_trim, minus V8's heap
  // pages) has reached its plateau: over the last 40 000 requests it rises less than
  // 2 MiB above the highest sample of the four batches before (50 bytes per request; a
  // leaked 64 KiB read buffer per 1300 requests would exceed it), and less than 8 MiB
  // over all 80 000 (the plateau is not quite reached after the warm-up). Measured:
  // +0.1..1.0 MiB and +1.6..4.9 MiB (the malloc creep above, plus pages malloc_trim
  // cannot return while the allocator's free lists still grow).
  const early = Math.max(...s.slice(1, batches / 2 + 1).map((x) => x.native));
  const lateGrowth = (end((x) => x.native) - early) / MIB;
  const grew = (end((x) => x.native) - first.native) / MIB;
  assert.ok(lateGrowth < 2, `RSS outside the V8 heap still growing: +${lateGrowth.toFixed(1)} MiB over the last ${(batches / 2) * per} requests`);
  assert.ok(grew < 8, `RSS outside the V8 heap grew ${grew.toFixed(1)} MiB over ${measured} requests`);
  // 5. Plain RSS stays bounded (high-water marks above included): under 192 MiB.
  const peak = Math.max(...s.map((x) => x.rss)) / MIB;
  assert.ok(peak < 192, `RSS peaked at ${peak.toFixed(1)} MiB`);
  await client.close();
});
