// setLogger: the core's log records reach a JS function: frame traces at 'trace', sensitive
// header values redacted, the level filter, removal, and no hold on the event loop.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as h2o from '../index.mjs';
import { pkgRoot, startTestServer } from './helpers.mjs';

const { Client, setLogger } = h2o;

let server;
before(async () => {
  server = await startTestServer();
});
after(() => {
  setLogger(null);
  server.close();
});

async function waitFor(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

async function getWithSecrets() {
  const client = new Client();
  try {
    const res = await client.request(`${server.url}/hello`, {
      headers: { authorization: 'Bearer hunter2', cookie: 'sid=topsecret' },
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Hello, world!');
  } finally {
    await client.close();
  }
}

test('frame traces arrive with credentials redacted', async () => {
  const records = [];
  setLogger((r) => records.push(r), { level: 'trace' });
  await getWithSecrets();
  const dataFrame = (r) => r.target === 'h2o::proto::frame' && r.message.startsWith('recv DATA frame <length=13, flags=0x01, stream_id=1>');
  assert.ok(await waitFor(() => records.some(dataFrame)), JSON.stringify(records.map((r) => r.message)));
  setLogger(null);
  const sent = records.find((r) => r.message.startsWith('send HEADERS frame <length='));
  assert.ok(sent, 'no send HEADERS record');
  assert.equal(sent.level, 'trace');
  assert.equal(sent.target, 'h2o::proto::frame');
  assert.match(sent.message, /:method: GET/);
  assert.match(sent.message, /authorization: <redacted>/);
  assert.match(sent.message, /cookie: <redacted>/);
  assert.ok(records.some((r) => r.message.startsWith('recv header block <stream_id=1>') && r.message.includes(':status: 200')));
  const all = records.map((r) => r.message).join('\n');
  assert.ok(!all.includes('hunter2') && !all.includes('topsecret'), 'a secret leaked into the log');
  assert.ok(records.some((r) => r.level === 'debug' && r.target === 'h2o::proto' && /^stream opened .*request=\d+/.test(r.message)));
});

test('the level filter applies and a removed logger is not called', async () => {
  const debug = [];
  setLogger((r) => debug.push(r), { level: 'debug' });
  await getWithSecrets();
  assert.ok(await waitFor(() => debug.some((r) => r.message.startsWith('stream closed'))));
  assert.ok(debug.every((r) => r.level !== 'trace' && r.target !== 'h2o::proto::frame'));
  setLogger(null);
  const late = [];
  const n = debug.length;
  setLogger((r) => late.push(r), { level: 'trace' });
  setLogger(null);
  await getWithSecrets();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(late.length, 0);
  assert.equal(debug.length, n);
  assert.throws(() => setLogger(() => {}, { level: 'loud' }), TypeError);
});

test('an installed logger does not keep the process alive', () => {
  const script = `
    const { setLogger } = require(${JSON.stringify(path.join(pkgRoot, 'index.js'))});
    setLogger(() => {}, { level: 'trace' });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 10000 });
  assert.equal(r.status, 0, String(r.stderr));
});
