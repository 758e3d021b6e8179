// Every error class that can be provoked, against the test server and a scripted raw
// HTTP/2 server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as h2o from '../index.mjs';
import { haveCommand, headers200, raw, startRawServer, startTestServer } from './helpers.mjs';

const { Client } = h2o;
let server;
let client;
before(async () => {
  server = await startTestServer();
  client = new Client({ maxRetries: 2 });
});
after(async () => {
  await client.close();
  server.close();
});

function isH2o(cls, code, kind, extra = () => true) {
  return (e) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e && e.name}: ${e && e.message}`);
    assert.ok(e instanceof h2o.H2oError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.kind, kind);
    assert.equal(e.name, cls.name);
    assert.ok(extra(e), `extra check failed for ${e.message}`);
    return true;
  };
}

describe('errors', () => {
  test('EINVALIDURL', async () => {
    for (const u of ['ftp://example/', 'not a url', 'http://[::1/', 42]) {
      await assert.rejects(client.request(u), isH2o(h2o.InvalidUrlError, 'EINVALIDURL', 2), String(u));
    }
  });

  test('EINVALIDARG: bad method and header (from the core)', async () => {
    await assert.rejects(client.request(`${server.url}/hello`, { method: 'GE T' }), isH2o(h2o.InvalidArgumentError, 'EINVALIDARG', 1));
    await assert.rejects(client.request(`${server.url}/hello`, { headers: { 'bad name': 'x' } }), isH2o(h2o.InvalidArgumentError, 'EINVALIDARG', 1));
    await assert.rejects(client.request(`${server.url}/hello`, { headers: { connection: 'close' } }), isH2o(h2o.InvalidArgumentError, 'EINVALIDARG', 1));
    await assert.rejects(client.request(`${server.url}/hello`, { headers: { 'x-a': 'caf\u{1F600}' } }), isH2o(h2o.InvalidArgumentError, 'EINVALIDARG', 1));
  });

  test('ECONNECT: nothing listens', async () => {
    await assert.rejects(client.request('http://127.0.0.1:1/'), isH2o(h2o.ConnectError, 'ECONNECT', 3, (e) => e.unprocessed));
  });

  test('ETLS: https is not supported by the core yet', async () => {
    await assert.rejects(client.request(`https://127.0.0.1:${server.port}/`), isH2o(h2o.TlsError, 'ETLS', 4));
  });

  test('ETIMEDOUT with subkinds request, headers, idle', async () => {
    await assert.rejects(client.request(`${server.url}/delay/3000`, { timeout: 100 }), isH2o(h2o.TimeoutError, 'ETIMEDOUT', 8, (e) => e.subkind === 'request'));
    await assert.rejects(client.request(`${server.url}/delay/3000`, { headersTimeout: 100 }), isH2o(h2o.TimeoutError, 'ETIMEDOUT', 6, (e) => e.subkind === 'headers'));
    const c = new Client({ requestTimeout: 100 });
    await assert.rejects(c.request(`${server.url}/delay/3000`), isH2o(h2o.TimeoutError, 'ETIMEDOUT', 8));
    await c.close();
    // idle: the response head arrives, the body stalls.
    const srv = await startRawServer({ onHeaders: (sid, sock) => sock.write(headers200(sid)) });
    const res = await client.request(srv.url, { idleTimeout: 100 });
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), isH2o(h2o.TimeoutError, 'ETIMEDOUT', 7, (e) => e.subkind === 'idle'));
    srv.close();
  });

  test('ETIMEDOUT subkind settings: the server never acknowledges SETTINGS', async () => {
    const net = await import('node:net');
    const s = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.write(raw.settings());
    });
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    const c = new Client({ settingsTimeout: 150 });
    await assert.rejects(c.request(`http://127.0.0.1:${s.address().port}/`), isH2o(h2o.TimeoutError, 'ETIMEDOUT', 17, (e) => e.subkind === 'settings'));
    await c.close();
    s.close();
  });

  test('ETIMEDOUT subkind connect: SYNs dropped by a full accept queue', { skip: haveCommand('python3') ? false : 'python3 not installed' }, async () => {
    const { spawn } = await import('node:child_process');
    const net = await import('node:net');
    // A listener that never accepts, with a backlog of 0: once its queue holds a connection
    // the kernel drops further SYNs and connect() hangs.
    const py = spawn('python3', ['-c', 'import socket,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = Number(await new Promise((r) => py.stdout.once('data', (d) => r(String(d).trim()))));
    const fillers = [0, 1, 2].map(() => net.connect(port, '127.0.0.1').on('error', () => {}));
    await new Promise((r) => setTimeout(r, 200));
    const c = new Client({ connectTimeout: 300 });
    try {
      await assert.rejects(c.request(`http://127.0.0.1:${port}/`), isH2o(h2o.TimeoutError, 'ETIMEDOUT', 5, (e) => e.subkind === 'connect'));
    } finally {
      await c.close();
      fillers.forEach((s) => s.destroy());
      py.kill();
    }
  });

  test('ETIMEDOUT subkind tls_handshake: the server accepts and never answers the ClientHello', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => {});
    await new Promise((r) => silent.listen(0, '127.0.0.1', r));
    const c = new Client({ tlsHandshakeTimeout: 300, maxRetries: 0 });
    const t0 = Date.now();
    try {
      await assert.rejects(
        c.request(`https://127.0.0.1:${silent.address().port}/`),
        isH2o(h2o.TimeoutError, 'ETIMEDOUT', 19, (e) => e.subkind === 'tls_handshake' && /TLS handshake timed out/.test(e.message)),
      );
      assert.ok(Date.now() - t0 >= 290, 'waited for the handshake deadline');
    } finally {
      await c.close();
      silent.close();
    }
  });

  test('ETIMEDOUT subkind ping: PINGs go unanswered', async () => {
    const srv = await startRawServer({ answerPings: false, onHeaders: () => {} });
    const c = new Client({ keepaliveInterval: 100, pingTimeout: 150 });
    await assert.rejects(c.request(srv.url), isH2o(h2o.TimeoutError, 'ETIMEDOUT', 18, (e) => e.subkind === 'ping'));
    await c.close();
    srv.close();
  });

  test('ESTREAMRESET with the RFC code', async () => {
    const srv = await startRawServer({ onHeaders: (sid, sock) => sock.write(raw.rst(sid, 0x2)) });
    await assert.rejects(
      client.request(srv.url),
      isH2o(h2o.StreamResetError, 'ESTREAMRESET', 10, (e) => e.h2Code === 2 && e.h2CodeName === 'INTERNAL_ERROR' && e.remote),
    );
    srv.close();
  });

  test('EREFUSED after the retries', async () => {
    const srv = await startRawServer({ onHeaders: (sid, sock) => sock.write(raw.rst(sid, 0x7)) });
    await assert.rejects(client.request(srv.url), isH2o(h2o.RefusedError, 'EREFUSED', 12, (e) => e.unprocessed));
    assert.equal(srv.requests, 3, 'first try + maxRetries 2');
    srv.close();
  });

  test('EGOAWAY: GOAWAY below the request (unprocessed), after the retries', async () => {
    const srv = await startRawServer({ onHeaders: (sid, sock) => sock.write(raw.goaway(0, 0xb)) });
    await assert.rejects(
      client.request(srv.url),
      isH2o(h2o.GoAwayError, 'EGOAWAY', 11, (e) => e.h2CodeName === 'ENHANCE_YOUR_CALM' && e.remote && e.unprocessed),
    );
    srv.close();
  });

  test('EIO: GOAWAY covering the request, then the socket closes', async () => {
    const srv = await startRawServer({
      onHeaders: (sid, sock) => {
        sock.write(raw.goaway(sid, 0));
        sock.end();
      },
    });
    await assert.rejects(client.request(srv.url), isH2o(h2o.IoError, 'EIO', 16, (e) => !e.unprocessed));
    srv.close();
  });

  test('EPROTOCOL: a DATA frame on stream 0', async () => {
    const srv = await startRawServer({ onHeaders: (sid, sock) => sock.write(raw.frame(0, 0, 0, Buffer.from('x'))) });
    await assert.rejects(client.request(srv.url), isH2o(h2o.ProtocolError, 'EPROTOCOL', 9, (e) => e.h2CodeName === 'PROTOCOL_ERROR' && !e.remote && e.scope === 'connection'));
    srv.close();
  });

  test('ELIMIT: response header list over maxHeaderListSize', async () => {
    const c = new Client({ maxHeaderListSize: 1024 });
    await assert.rejects(c.request(`${server.url}/headers/5000`), isH2o(h2o.LimitError, 'ELIMIT', 14, (e) => /max_header_list_size/.test(e.message)));
    // The connection survives: the next request works.
    assert.equal(await (await c.request(`${server.url}/hello`)).text(), 'Hello, world!');
    await c.close();
  });

  test('ECLOSED after close(); ECANCELLED for requests in flight at close', async () => {
    const c = new Client();
    const inflight = c.request(`${server.url}/delay/5000`);
    await new Promise((r) => setTimeout(r, 50));
    const closing = c.close();
    await assert.rejects(inflight, isH2o(h2o.CancelledError, 'ECANCELLED', 13));
    await closing;
    assert.equal(c.closed, true);
    await assert.rejects(c.request(`${server.url}/hello`), isH2o(h2o.ClosedError, 'ECLOSED', 15));
  });

  test('ECANCELLED when the body is read after cancel()', async () => {
    const res = await client.request(`${server.url}/bytes/10000000`);
    res.cancel();
    await assert.rejects(res.text(), TypeError);
  });

  test('error objects carry a message and are plain Errors', async () => {
    const e = await client.request('http://127.0.0.1:1/').catch((x) => x);
    assert.match(e.message, /127\.0\.0\.1:1/);
    assert.equal(e.kindName, 'connect');
    assert.equal(e.scope, 'stream');
    assert.ok(e.stack.includes('ConnectError'));
  });
});
