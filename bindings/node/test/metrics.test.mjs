// Metrics and the debug dump: exact counts for a known workload, Prometheus text, one
// connect error counted once, in-flight streams listed by debugDump().
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Client, ClosedError, ConnectError } from '../index.mjs';
import { startTestServer } from './helpers.mjs';

let server;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const N = 10;
const SIZE = 4000;

test('metrics count a known workload exactly', async () => {
  const client = new Client();
  for (let i = 0; i < N / 2; i++) {
    const res = await client.request(`${server.url}/bytes/${SIZE}`);
    assert.equal((await res.arrayBuffer()).byteLength, SIZE);
  }
  const rest = await Promise.all(
    Array.from({ length: N / 2 }, async () => (await (await client.request(`${server.url}/bytes/${SIZE}`)).arrayBuffer()).byteLength),
  );
  assert.deepEqual(rest, Array(N / 2).fill(SIZE));
  const m = client.metrics();
  assert.equal(m.requests.completed, N);
  assert.equal(m.requests.failed, 0);
  assert.equal(m.latency_us.count, N);
  assert.equal(m.latency_us.buckets.reduce((a, b) => a + b[2], 0), N);
  assert.ok(m.latency_us.p50 > 0 && m.latency_us.p50 <= m.latency_us.p99 && m.latency_us.p99 <= m.latency_us.max);
  assert.equal(m.bytes.body_received, N * SIZE);
  assert.equal(Object.keys(m.errors).length, 18);
  assert.ok(Object.values(m.errors).every((n) => n === 0));
  assert.ok(m.hpack.sent_encoded < m.hpack.sent_plain);
  const prom = client.metricsPrometheus();
  assert.match(prom, new RegExp(`\\nh2o_requests_total ${N}\\n`));
  assert.match(prom, new RegExp(`h2o_request_duration_seconds_count ${N}\\n`));
  for (const line of prom.trimEnd().split('\n')) {
    assert.match(line, /^(# (HELP|TYPE) [a-z_][a-z0-9_]* .+|[a-z_][a-z0-9_]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? ([0-9.e+-]+|\+Inf))$/, line);
  }
  await client.close();
  assert.throws(() => client.metrics(), ClosedError);
  assert.throws(() => client.debugDump(), ClosedError);
});

test('a refused connection counts one connect error', async () => {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const client = new Client({ maxRetries: 0 });
  await assert.rejects(client.request(`http://127.0.0.1:${port}/`), ConnectError);
  const m = client.metrics();
  assert.equal(m.errors.connect, 1);
  assert.equal(Object.values(m.errors).reduce((a, b) => a + b, 0), 1);
  assert.equal(m.latency_us.count, 0);
  await client.close();
});

test('debugDump lists in-flight streams', async () => {
  const client = new Client();
  await (await client.request(`${server.url}/hello`)).text();
  const pending = [0, 1].map(() => client.request(`${server.url}/delay/700`));
  const deadline = Date.now() + 5000;
  while (client.metrics().pool.open_streams < 2) {
    assert.ok(Date.now() < deadline, 'requests never went out');
    await new Promise((r) => setTimeout(r, 5));
  }
  const d = client.debugDump();
  assert.equal(d.connections.length, 1);
  const c = d.connections[0];
  assert.equal(c.state, 'open');
  assert.equal(c.peer_settings_received, true);
  assert.ok(c.windows.send > 0 && c.windows.recv > 0);
  assert.equal(c.streams.length, 2);
  for (const s of c.streams) {
    assert.equal(s.state, 'half_closed_local');
    assert.equal(s.head_received, false);
    assert.ok(s.age_ms >= 0 && s.stream_id % 2 === 1);
  }
  assert.equal(d.requests_in_flight, 2);
  for (const p of pending) assert.equal(await (await p).text(), 'Hello, world!');
  assert.deepEqual(client.debugDump().connections[0].streams, []);
  await client.close();
});
