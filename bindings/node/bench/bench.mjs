#!/usr/bin/env node
// h2o-native vs node:http2 vs undici (allowH2 + useH2c): the same N GET requests, 100 in
// flight, 13-byte bodies, against nghttpd h2c (tests/servers/serve.sh nghttpd h2c PORT DIR).
// Each client runs in a child process of its own (clean CPU and RSS figures), ROUNDS times
// in alternation; the median round is reported, as ratios vs node:http2.
//
//   node bench/bench.mjs [--n 20000] [--concurrency 100] [--rounds 3] [--url http://127.0.0.1:PORT]
//   (without --url, nghttpd is started and stopped by the script; needs `make deps`)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    url: { type: 'string' },
    path: { type: 'string', default: '/13b' },
    runner: { type: 'string' },
    server: { type: 'string', default: 'nghttpd' },
  },
});
const N = Number(args.n);
const C = Number(args.concurrency);

const runners = {
  async 'node:http2'(url) {
    const http2 = await import('node:http2');
    const session = http2.connect(url);
    await new Promise((r, j) => session.once('connect', r).once('error', j));
    const one = () =>
      new Promise((resolve, reject) => {
        const s = session.request({ ':path': args.path });
        const parts = [];
        s.on('data', (c) => parts.push(c));
        s.on('end', () => resolve(Buffer.concat(parts).length));
        s.on('error', reject);
        s.end();
      });
    return { one, close: () => session.close() };
  },
  async 'h2o-native'(url) {
    const require = createRequire(import.meta.url);
    const { Client } = require('../index.js');
    const client = new Client();
    const target = url + args.path;
    const one = async () => (await (await client.request(target)).buffer()).length;
    return { one, close: () => client.close(), stats: () => client.stats() };
  },
  async undici(url) {
    const require = createRequire(import.meta.url);
    const undici = require('undici');
    const client = new undici.Client(url, { allowH2: true, useH2c: true, pipelining: C, maxConcurrentStreams: C });
    const one = async () => {
      const { body } = await client.request({ path: args.path, method: 'GET' });
      return (await body.arrayBuffer()).byteLength;
    };
    return { one, close: () => client.close() };
  },
};

async function runOne(name, url) {
  const r = await runners[name](url);
  const drive = async (n) => {
    let next = 0;
    let bytes = 0;
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < n) {
          next++;
          const got = await r.one();
          bytes += got;
        }
      }),
    );
    return bytes;
  };
  await drive(Math.max(1000, N / 10)); // warm-up: connection, JIT
  let rssMax = process.memoryUsage().rss;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 20);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const bytes = await drive(N);
  if (bytes !== N * 13 && args.path === '/13b') throw new Error(`${name}: got ${bytes} body bytes, expected ${N * 13}`);
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
  const out = {
    name,
    n: N,
    bytes,
    reqPerSec: N / (ns / 1e9),
    cpuUsPerReq: (cpu.user + cpu.system) / N,
    rssMiB: rssMax / 2 ** 20,
  };
  if (r.stats) out.stats = r.stats();
  await r.close();
  return out;
}

function child(name, url) {
  return new Promise((resolve, reject) => {
    const argv = [fileURLToPath(import.meta.url), '--runner', name, '--url', url, '--n', String(N), '--concurrency', String(C), '--path', args.path];
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${name} exited with ${code}`))));
  });
}

async function main() {
  if (args.runner) {
    process.stdout.write(JSON.stringify(await runOne(args.runner, args.url)));
    process.exit(0);
  }
  let url = args.url;
  let server = null;
  if (!url) {
    const { startRealServer } = await import('../test/helpers.mjs');
    server = await startRealServer(args.server);
    url = server.url;
  }
  const names = ['node:http2', 'h2o-native', 'undici'];
  const results = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const name of names) {
        const r = await child(name, url);
        results[name].push(r);
        console.error(`round ${round + 1} ${name.padEnd(10)} ${Math.round(r.reqPerSec)} req/s, ${r.cpuUsPerReq.toFixed(1)} us CPU/req, RSS ${r.rssMiB.toFixed(0)} MiB`);
      }
    }
  } finally {
    server?.close();
  }
  const median = (xs, f) => {
    const s = xs.map(f).sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  const m = Object.fromEntries(
    names.map((n) => [
      n,
      {
        reqPerSec: median(results[n], (r) => r.reqPerSec),
        cpuUsPerReq: median(results[n], (r) => r.cpuUsPerReq),
        rssMiB: median(results[n], (r) => r.rssMiB),
      },
    ]),
  );
  const base = m['node:http2'];
  console.log(`\n${N} GET ${args.path} against ${args.server} h2c, ${C} in flight, median of ${args.rounds} rounds (Node ${process.version}):\n`);
  console.log('| client | req/s | vs node:http2 | CPU µs/req | vs node:http2 | peak RSS MiB | vs node:http2 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const n of names) {
    const r = m[n];
    console.log(
      `| ${n} | ${Math.round(r.reqPerSec)} | ${(r.reqPerSec / base.reqPerSec).toFixed(2)}x | ${r.cpuUsPerReq.toFixed(1)} | ${(r.cpuUsPerReq / base.cpuUsPerReq).toFixed(2)}x | ${r.rssMiB.toFixed(0)} | ${(r.rssMiB / base.rssMiB).toFixed(2)}x |`,
    );
  }
  const s = results['h2o-native'].at(-1).stats;
  if (s) console.log(`\nh2o-native batching: ${s.events} events in ${s.batches} batches (largest ${s.maxBatch}).`);
}

await main();
