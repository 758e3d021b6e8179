// Test fixtures: the h2o test server (built binary), nginx via tests/servers/serve.sh,
// a scripted raw HTTP/2 server for error cases, and GC helpers.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

const here = path.dirname(fileURLToPath(import.meta.url));
export const pkgRoot = path.join(here, '..');
export const repoRoot = path.join(pkgRoot, '..', '..');

export function testServerBin() {
  const bin = process.env.H2O_TESTSERVER || path.join(repoRoot, 'target', 'debug', 'h2o-testserver');
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} missing: run \`cargo build -p h2o-testserver\` (make node-test does)`);
  }
  return bin;
}

/** Starts tests/testserver on a free port; `close()` kills it. */
export async function startTestServer(args = []) {
  const child = spawn(testServerBin(), ['--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(buf);
      if (m) {
        child.stdout.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`h2o-testserver exited with ${code}`)));
  });
  child.stdout.resume();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close() {
      child.kill('SIGKILL');
    },
  };
}

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitPort(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open in ${ms} ms`);
}

export function haveCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** The shared docroot (0b, 13b, 1m, 100m), made once per machine by make-docroot.sh. */
export function docroot() {
  const assets = process.env.H2O_TEST_ASSETS || path.join(os.tmpdir(), 'h2o-test-assets');
  const www = path.join(assets, 'www');
  const r = spawnSync(path.join(repoRoot, 'tests', 'servers', 'make-docroot.sh'), [www], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('make-docroot.sh failed');
  return www;
}

/**
 * Starts a real server (`nginx` or `nghttpd`, h2c) with tests/servers/serve.sh in its own
 * process group; `close()` kills the group.
 */
export async function startRealServer(kind = 'nginx') {
  const www = docroot();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `h2o-node-${kind}-`));
  fs.symlinkSync(www, path.join(work, 'www'));
  const port = await freePort();
  const child = spawn(path.join(repoRoot, 'tests', 'servers', 'serve.sh'), [kind, 'h2c', String(port), work], {
    detached: true,
    stdio: 'ignore',
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitPort(port, 10000);
  } catch (e) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    throw e;
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    work,
    close() {
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {}
        setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {}
        }, 1000).unref();
      }
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Byte i of the test pattern is i % 251. */
export function pattern(n, offset = 0) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (offset + i) % 251;
  return b;
}

/** global.gc, exposing it at run time when node was not started with --expose-gc. */
export function getGc() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

export async function fullGc() {
  const gc = getGc();
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

/** The addon itself (lib/native.js), for its test-only counters. */
export const native = createRequire(import.meta.url)('../lib/native.js');

/**
 * Live native objects in this process, counted by their Rust constructors and `Drop`s:
 * NativeClient wrappers, core clients (until their runtime has shut down), request sinks
 * held by the core (until it forgets the request) and body chunks lent to JS as external
 * buffers (until V8 finalizes them).
 */
export function liveObjects() {
  const [nativeClients, coreClients, sinks, externalBuffers, externalBytes] = native.liveObjects();
  return { nativeClients, coreClients, sinks, externalBuffers, externalBytes };
}

/** Runs full GCs until `cond()` holds or `ms` pass; returns whether it held. */
export async function gcUntil(cond, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    await fullGc();
    if (cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------------------
// A scripted raw HTTP/2 server: answers the preface and SETTINGS, then runs `onHeaders`
// for every request stream with helpers to write frames.

const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 };

function frame(type, flags, stream, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

export const raw = {
  FRAME,
  frame,
  rst(stream, code) {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(code);
    return frame(FRAME.RST_STREAM, 0, stream, p);
  },
  goaway(last, code) {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(last);
    p.writeUInt32BE(code, 4);
    return frame(FRAME.GOAWAY, 0, 0, p);
  },
  settings(pairs = []) {
    const p = Buffer.alloc(6 * pairs.length);
    pairs.forEach(([id, v], i) => {
      p.writeUInt16BE(id, i * 6);
      p.writeUInt32BE(v, i * 6 + 2);
    });
    return frame(FRAME.SETTINGS, 0, 0, p);
  },
};

/** `onHeaders(streamId, socket, count)`; `settings` = our SETTINGS pairs. */
export async function startRawServer({ settings = [], onHeaders, onConnection, answerPings = true } = {}) {
  const sockets = new Set();
  let count = 0;
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    let preface = false;
    sock.write(raw.settings(settings));
    if (onConnection) onConnection(sock);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!preface) {
        if (buf.length < 24) return;
        buf = buf.subarray(24);
        preface = true;
      }
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const type = buf[3];
        const flags = buf[4];
        const stream = buf.readUInt32BE(5) & 0x7fffffff;
        buf = buf.subarray(9 + len);
        if (type === FRAME.SETTINGS && !(flags & 1)) sock.write(frame(FRAME.SETTINGS, 1, 0));
        else if (type === FRAME.PING && !(flags & 1) && answerPings) sock.write(frame(FRAME.PING, 1, 0, Buffer.alloc(8)));
        else if (type === FRAME.HEADERS && onHeaders) onHeaders(stream, sock, ++count);
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return count;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A minimal HEADERS frame: `:status: 200` (HPACK static index 8), END_HEADERS. */
export function headers200(stream, endStream = false) {
  return frame(FRAME.HEADERS, 0x4 | (endStream ? 1 : 0), stream, Buffer.from([0x88]));
}
