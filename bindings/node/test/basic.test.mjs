// Requests against the h2o test server: methods, headers, bodies both ways, fetch, options.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import * as h2o from '../index.mjs';
import { pattern, startTestServer } from './helpers.mjs';

const { Client, h2oFetch, InvalidArgumentError, H2oHeaders } = h2o;
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

let server;
let client;
before(async () => {
  server = await startTestServer();
  client = new Client();
});
after(async () => {
  await client.close();
  server.close();
});

describe('package', () => {
  test('CommonJS and ESM entry points export the same objects', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../index.js');
    assert.equal(cjs.Client, h2o.Client);
    assert.equal(cjs.h2oFetch, h2o.h2oFetch);
    assert.equal(h2o.default.Client, h2o.Client);
    for (const k of Object.keys(cjs)) assert.ok(k in h2o, `ESM lacks ${k}`);
  });

  test('Kind numbers match the core', () => {
    const native = h2o.errorKinds();
    for (const [name, n] of Object.entries(native)) {
      assert.equal(h2o.Kind[name.toUpperCase()], n, name);
    }
    assert.equal(Object.keys(native).length, Object.keys(h2o.Kind).length);
  });
});

describe('requests', () => {
  test('GET /hello', async () => {
    const res = await client.request(`${server.url}/hello`);
    assert.equal(res.status, 200);
    assert.equal(res.ok, true);
    assert.equal(res.headers.get('Content-Length'), '13');
    assert.equal(res.headers.has('CONTENT-LENGTH'), true);
    assert.equal(res.headers.get('x-missing'), null);
    assert.ok([...res.headers.entries()].some(([k]) => k === 'date'));
    assert.equal(await res.text(), 'Hello, world!');
    assert.equal(res.bodyUsed, true);
    await assert.rejects(res.text(), TypeError);
  });

  test('URL object, HEAD, status codes', async () => {
    const res = await client.request(new URL(`${server.url}/status/404`));
    assert.equal(res.status, 404);
    assert.equal(res.ok, false);
    assert.equal(await res.text(), 'status 404\n');
    const head = await client.request(`${server.url}/bytes/100`, { method: 'head' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '100');
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const nc = await client.request(`${server.url}/status/204`);
    assert.equal(nc.status, 204);
    assert.equal(await nc.text(), '');
  });

  test('POST bodies of every in-memory type', async () => {
    const expect = sha256('abc');
    for (const body of ['abc', Buffer.from('abc'), new TextEncoder().encode('abc'), new TextEncoder().encode('abc').buffer, new DataView(new TextEncoder().encode('xabc').buffer, 1, 3)]) {
      const res = await client.request(`${server.url}/sha256`, { method: 'POST', body });
      const j = await res.json();
      assert.equal(j.len, 3);
      assert.equal(j.sha256, expect, `body ${body.constructor.name}`);
    }
    const form = await client.request(`${server.url}/sha256`, { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    assert.equal((await form.json()).sha256, sha256('a=1'));
  });

  test('request headers: object, pairs, Map, Headers; many response headers', async () => {
    for (const headers of [{ 'x-a': '1', 'x-b': ['2', '3'] }, [['x-a', '1']], new Map([['x-a', '1']]), new Headers({ 'x-a': '1' })]) {
      const res = await client.request(`${server.url}/hello`, { headers });
      assert.equal(res.status, 200);
      await res.text();
    }
    const res = await client.request(`${server.url}/headers/4000`);
    assert.ok(res.headers.size > 3);
    assert.match(res.headers.get('x-h-0'), /^a+$/);
    await res.text();
  });

  test('trailers', async () => {
    const res = await client.request(`${server.url}/trailers`);
    assert.equal(await res.text(), 'hello');
    const t = await res.trailers;
    assert.ok(t instanceof H2oHeaders);
    assert.equal(t.get('x-trailer'), 'done');
    assert.equal(t.get('grpc-status'), '0');
    const echo = await client.request(`${server.url}/echo`, { method: 'POST', body: 'twelve bytes' });
    assert.equal(await echo.text(), 'twelve bytes');
    assert.equal((await echo.trailers).get('x-received-bytes'), '12');
    const none = await client.request(`${server.url}/hello`);
    await none.text();
    assert.equal((await none.trailers).size, 0);
  });

  test('priority and lane options are accepted', async () => {
    const res = await client.request(`${server.url}/hello`, { priority: { urgency: 1, incremental: true }, lane: 2 });
    assert.equal(await res.text(), 'Hello, world!');
    const res2 = await client.request(`${server.url}/hello`, { priority: 5, timeout: 5000, headersTimeout: 5000, idleTimeout: 5000 });
    assert.equal(await res2.text(), 'Hello, world!');
  });

  test('1 MiB response, checksum, async iteration and web stream', async () => {
    const n = 1 << 20;
    const expect = sha256(pattern(n));
    const res = await client.request(`${server.url}/bytes/${n}`);
    const h = crypto.createHash('sha256');
    let len = 0;
    for await (const chunk of res.body) {
      assert.ok(chunk instanceof Uint8Array);
      h.update(chunk);
      len += chunk.length;
    }
    assert.equal(len, n);
    assert.equal(h.digest('hex'), expect);
    const res2 = await client.request(`${server.url}/bytes/${n}`);
    const h2 = crypto.createHash('sha256');
    for await (const chunk of res2.stream()) h2.update(chunk);
    assert.equal(h2.digest('hex'), expect);
    const res3 = await client.request(`${server.url}/bytes/${n}`);
    assert.equal(sha256(Buffer.from(await res3.arrayBuffer())), expect);
    const st = client.stats();
    assert.ok(st.native.externalBuffers > 0, 'large chunks arrive as external buffers');
  });

  test('1 MiB request body, streamed from an async generator and a ReadableStream', async () => {
    const n = 1 << 20;
    const data = pattern(n);
    async function* gen() {
      for (let off = 0; off < n; off += 10000) {
        yield data.subarray(off, Math.min(n, off + 10000));
        if (off % 200000 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    }
    const res = await client.request(`${server.url}/sha256`, { method: 'POST', body: gen() });
    assert.deepEqual(await res.json(), { len: n, sha256: sha256(data) });
    let off = 0;
    const rs = new ReadableStream({
      pull(ctrl) {
        if (off >= n) return ctrl.close();
        ctrl.enqueue(data.subarray(off, off + 65536));
        off += 65536;
      },
    });
    const res2 = await client.request(`${server.url}/sha256`, { method: 'POST', body: rs });
    assert.deepEqual(await res2.json(), { len: n, sha256: sha256(data) });
    const res3 = await client.request(`${server.url}/sha256`, { method: 'POST', body: ['a', Buffer.from('bc')] });
    assert.equal((await res3.json()).sha256, sha256('abc'));
  });

  test('streaming both ways: echo reads while writing', async () => {
    let release;
    const gate = new Promise((r) => (release = r));
    async function* body() {
      yield 'ping-1;';
      await gate; // only after the first echoed bytes came back
      yield 'ping-2;';
    }
    const res = await client.request(`${server.url}/echo`, { method: 'POST', body: body() });
    const it = res.body[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(Buffer.from(first.value).toString(), 'ping-1;');
    release();
    let rest = '';
    for (let r = await it.next(); !r.done; r = await it.next()) rest += Buffer.from(r.value).toString();
    assert.equal(rest, 'ping-2;');
    assert.equal((await res.trailers).get('x-received-bytes'), '14');
  });

  test('1000 concurrent requests with Promise.all', async () => {
    const urls = Array.from({ length: 1000 }, (_, i) => `${server.url}/bytes/${i % 50}`);
    const before = client.stats();
    const bodies = await Promise.all(urls.map(async (u) => (await client.request(u)).arrayBuffer()));
    bodies.forEach((b, i) => assert.equal(b.byteLength, i % 50));
    const st = client.stats();
    assert.equal(st.inFlight, 0);
    assert.ok(st.batches - before.batches < 1000, `events are batched (${st.batches - before.batches} batches)`);
    await new Promise((r) => setImmediate(r));
    assert.equal(client.stats().native.liveHandles, 0);
  });
});

describe('h2oFetch', () => {
  test('returns a standard Response', async () => {
    const res = await h2oFetch(`${server.url}/hello`);
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '13');
    assert.equal(await res.text(), 'Hello, world!');
    assert.equal(res.url, `${server.url}/hello`);
  });

  test('POST with init, Request input, json, 204', async () => {
    const res = await h2oFetch(`${server.url}/sha256`, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain' }, client });
    assert.equal((await res.json()).sha256, sha256('abc'));
    const req = new Request(`${server.url}/sha256`, { method: 'POST', body: 'abcd' });
    const res2 = await h2oFetch(req, { client });
    assert.equal((await res2.json()).len, 4);
    const nc = await h2oFetch(`${server.url}/status/204`, { client });
    assert.equal(nc.status, 204);
    assert.equal(nc.body, null);
  });

  test('body as a web stream', async () => {
    const res = await h2oFetch(`${server.url}/bytes/70000`, { client });
    let n = 0;
    for await (const c of res.body) n += c.length;
    assert.equal(n, 70000);
  });
});

describe('options', () => {
  test('valid options are accepted', async () => {
    const c = new Client({
      runtimeThreads: 2,
      maxRetries: 1,
      connectTimeout: 2000,
      settingsTimeout: 2000,
      pingTimeout: 2000,
      headersTimeout: null,
      idleTimeout: 0,
      requestTimeout: 10000,
      keepaliveInterval: null,
      headerTableSize: 8192,
      encoderTableSize: 0,
      maxConcurrentStreams: 10,
      initialWindowSize: 1 << 16,
      connectionWindowSize: 1 << 20,
      maxFrameSize: 1 << 15,
      maxHeaderListSize: 1 << 16,
      maxContinuationFrames: 0,
      adaptiveWindow: false,
      maxAdaptiveWindow: 1 << 22,
      maxPendingRequests: 100,
      sendBufferSize: 1 << 16,
      writeHighWater: 1 << 16,
      maxResetStreamsRemembered: 10,
      rfc7540Priorities: true,
    });
    const res = await c.request(`${server.url}/bytes/300000`, { priority: { weight: 200 } });
    assert.equal((await res.arrayBuffer()).byteLength, 300000);
    await c.close();
  });

  test('unknown keys and bad values throw, naming the key', () => {
    const cases = [
      [{ bogus: 1 }, /options\.bogus is not a client option/],
      [{ runtimeThreads: 0 }, /options\.runtimeThreads must be in 1\.\.64/],
      [{ runtimeThreads: 1.5 }, /options\.runtimeThreads must be an integer/],
      [{ connectTimeout: -1 }, /options\.connectTimeout must be a positive number/],
      [{ maxFrameSize: 100 }, /options\.maxFrameSize must be in 16384\.\.16777215/],
      [{ adaptiveWindow: 'yes' }, /options\.adaptiveWindow must be a boolean/],
      [{ connectionWindowSize: 10 }, /options\.connectionWindowSize/],
      ['fast', /options must be an object/],
    ];
    for (const [opts, re] of cases) {
      assert.throws(() => new Client(opts), (e) => e instanceof InvalidArgumentError && e.code === 'EINVALIDARG' && re.test(e.message), JSON.stringify(opts));
    }
  });

  test('bad request options reject with EINVALIDARG', async () => {
    await assert.rejects(client.request(`${server.url}/hello`, { bogus: 1 }), { code: 'EINVALIDARG', message: /options\.bogus/ });
    await assert.rejects(client.request(`${server.url}/hello`, { timeout: 'soon' }), { code: 'EINVALIDARG', message: /options\.timeout/ });
    await assert.rejects(client.request(`${server.url}/hello`, { priority: { urgency: 9 } }), { code: 'EINVALIDARG', message: /priority\.urgency/ });
    await assert.rejects(client.request(`${server.url}/hello`, { body: 42, method: 'POST' }), { code: 'EINVALIDARG', message: /options\.body/ });
    await assert.rejects(client.request(`${server.url}/hello`, { signal: {} }), { code: 'EINVALIDARG' });
  });
});
