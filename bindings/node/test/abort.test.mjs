// Cancellation: AbortSignal before, during the head wait, and mid-body; response.cancel().
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as h2o from '../index.mjs';
import { startTestServer } from './helpers.mjs';

const { Client, AbortError, CancelledError, h2oFetch } = h2o;
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

const isAbort = (e) => e instanceof AbortError && e instanceof CancelledError && e.code === 'ABORT_ERR' && e.name === 'AbortError' && e.kind === 13;

describe('AbortSignal', () => {
  test('already aborted: rejects without sending', async () => {
    const before = client.stats().requests;
    await assert.rejects(client.request(`${server.url}/hello`, { signal: AbortSignal.abort('why') }), (e) => isAbort(e) && e.cause === 'why');
    assert.equal(client.stats().requests, before);
  });

  test('while waiting for the head', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = client.request(`${server.url}/delay/5000`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, isAbort);
    assert.ok(Date.now() - t0 < 2000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.stats().inFlight, 0, 'the stream was cancelled in the core');
  });

  test('AbortSignal.timeout', async () => {
    await assert.rejects(client.request(`${server.url}/delay/5000`, { signal: AbortSignal.timeout(50) }), (e) => isAbort(e) && e.cause.name === 'TimeoutError');
  });

  test('mid-body: the reader rejects and the stream is reset', async () => {
    const ac = new AbortController();
    const res = await client.request(`${server.url}/bytes/${100 << 20}`, { signal: ac.signal });
    let got = 0;
    await assert.rejects(
      (async () => {
        for await (const c of res.body) {
          got += c.length;
          if (got > 1 << 20) ac.abort();
        }
      })(),
      isAbort,
    );
    assert.ok(got < 50 << 20, `stopped early (${got} bytes)`);
    await new Promise((r) => setTimeout(r, 50));
    const st = client.stats();
    assert.equal(st.inFlight, 0);
    assert.equal(st.native.liveHandles, 0);
    // The connection is still usable.
    assert.equal(await (await client.request(`${server.url}/hello`)).text(), 'Hello, world!');
  });

  test('abort after completion is a no-op', async () => {
    const ac = new AbortController();
    const res = await client.request(`${server.url}/hello`, { signal: ac.signal });
    assert.equal(await res.text(), 'Hello, world!');
    ac.abort();
  });

  test('aborting a streamed upload stops the body source', async () => {
    const ac = new AbortController();
    let pulled = 0;
    let returned = false;
    const source = {
      [Symbol.asyncIterator]() {
        return {
          next: async () => {
            pulled++;
            await new Promise((r) => setTimeout(r, 5));
            return { value: Buffer.alloc(1024), done: false };
          },
          return: async () => {
            returned = true;
            return { done: true };
          },
        };
      },
    };
    const p = client.request(`${server.url}/sha256`, { method: 'POST', body: source, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(p, isAbort);
    await new Promise((r) => setTimeout(r, 50));
    const n = pulled;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pulled, n, 'source no longer pulled');
    assert.ok(returned, 'source iterator closed');
  });

  test('h2oFetch rejects with the abort', async () => {
    const ac = new AbortController();
    const p = h2oFetch(`${server.url}/delay/5000`, { signal: ac.signal, client });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(p, isAbort);
  });
});

describe('response.cancel and early return', () => {
  test('cancel() mid-body frees the request', async () => {
    const res = await client.request(`${server.url}/bytes/${50 << 20}`);
    const it = res.body[Symbol.asyncIterator]();
    await it.next();
    res.cancel();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.stats().inFlight, 0);
    assert.equal(client.stats().native.liveHandles, 0);
  });

  test('break out of for await cancels', async () => {
    const res = await client.request(`${server.url}/bytes/${50 << 20}`);
    for await (const c of res.body) {
      assert.ok(c.length > 0);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.stats().inFlight, 0);
  });

  test('web stream cancel', async () => {
    const res = await client.request(`${server.url}/bytes/${50 << 20}`);
    const reader = res.stream().getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.stats().inFlight, 0);
  });
});
