// Against a real server: nginx (h2c) started with tests/servers/serve.sh in its own process
// group. Skipped when nginx is not installed (make deps installs it).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, h2oFetch } from '../index.mjs';
import { haveCommand, pattern, startRealServer } from './helpers.mjs';

const skip = haveCommand('nginx') ? false : 'nginx not installed (make deps)';
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

describe('nginx h2c', { skip }, () => {
  let server;
  let client;
  before(async () => {
    server = await startRealServer('nginx');
    client = new Client();
  });
  after(async () => {
    await client?.close();
    server?.close();
  });

  test('GET 13b and 0b', async () => {
    const res = await client.request(`${server.url}/13b`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('server'), /nginx/);
    assert.equal(await res.text(), 'Hello, world!');
    const empty = await client.request(`${server.url}/0b`);
    assert.equal((await empty.arrayBuffer()).byteLength, 0);
    const missing = await client.request(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    await missing.text();
  });

  test('POST to a static file is 405', async () => {
    const res = await client.request(`${server.url}/13b`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 405);
    await res.text();
  });

  test('1 MiB with checksum', async () => {
    const res = await client.request(`${server.url}/1m`);
    assert.equal(res.headers.get('content-length'), String(1 << 20));
    assert.equal(sha256(await res.buffer()), sha256(pattern(1 << 20)));
  });

  test('100 MiB streamed with checksum', async () => {
    const expect = crypto.createHash('sha256');
    const block = pattern(251 * 4096);
    let left = 100 << 20;
    while (left > 0) {
      const n = Math.min(left, block.length);
      expect.update(block.subarray(0, n));
      left -= n;
    }
    const res = await client.request(`${server.url}/100m`);
    const h = crypto.createHash('sha256');
    let len = 0;
    for await (const c of res.body) {
      h.update(c);
      len += c.length;
    }
    assert.equal(len, 100 << 20);
    assert.equal(h.digest('hex'), expect.digest('hex'));
  });

  test('100 MiB via h2oFetch arrayBuffer', async () => {
    const res = await h2oFetch(`${server.url}/100m`, { client });
    const b = Buffer.from(await res.arrayBuffer());
    assert.equal(b.length, 100 << 20);
    assert.equal(b[0], 0);
    assert.equal(b[b.length - 1], ((100 << 20) - 1) % 251);
  });

  test('1000 concurrent requests', async () => {
    const texts = await Promise.all(Array.from({ length: 1000 }, async () => (await client.request(`${server.url}/13b`)).text()));
    assert.ok(texts.every((t) => t === 'Hello, world!'));
  });
});
