'use strict';
// The public Client and Response. One NativeClient per Client; its single threadsafe
// function delivers batches of events (`[id, type, num, value]` × n) to ClientCore#onBatch.
const { NativeClient } = require('./native');
const errors = require('./errors');
const { H2oHeaders } = require('./headers');
const { clientConfig, requestOptions, nativeRequestOptions } = require('./options');

const EV_INFORMATIONAL = 1;
const EV_HEAD = 2;
const EV_DATA = 3;
const EV_TRAILERS = 4;
const EV_DONE = 5;
const EV_ERROR = 6;
const EV_BODY_READY = 7;
const EV_CLOSED = 8;

const REL_CANCEL = 2;
const MAX_RELEASE = 0x7fffffff;

/** Request state shared by the core (until the terminal event) and the Response. */
class ReqState {
  constructor(core, id, url, owner) {
    this.core = core;
    // The public Client: a request in flight, or a response still held, keeps it alive
    // (a collected Client is closed).
    this.owner = owner;
    this.id = id;
    this.url = url;
    this.status = 0;
    this.headersRaw = '';
    this.informational = [];
    this.chunks = [];
    this.chunkHead = 0;
    this.finished = false; // terminal event seen
    this.error = null;
    this.trailersRaw = null;
    this.waiter = null; // reader waiting for a chunk: { resolve, reject }
    this.trailerWaiters = null;
    this.headResolve = null;
    this.headReject = null;
    this.headSettled = false;
    this.aborted = false;
    this.signal = null;
    this.onAbort = null;
    this.bodyReady = null;
    this.bodyUsed = false;
    this.bodyError = null;
    this.dropped = false; // body no longer wanted: late chunks are dropped
  }

  /** The next buffered chunk, releasing its flow-control credit. */
  take() {
    const c = this.chunks[this.chunkHead];
    this.chunks[this.chunkHead++] = undefined;
    if (this.chunkHead === this.chunks.length) {
      this.chunks.length = 0;
      this.chunkHead = 0;
    }
    this.consumed(c.length);
    return c;
  }

  buffered() {
    return this.chunks.length - this.chunkHead;
  }

  /** The application consumed `n` body bytes: return the credit (once the request has
   * ended the addon has already returned all of it). */
  consumed(n) {
    if (!this.finished) this.core.release(this.id, n, 0);
  }

  /** Drops the buffered body (cancel, early return, GC); cancels the stream if open. The
   * addon returns the credit of everything delivered when the request ends. */
  discard(cancel) {
    this.dropped = true;
    this.chunks.length = 0;
    this.chunkHead = 0;
    if (cancel && !this.finished) this.core.release(this.id, 0, REL_CANCEL);
  }
}

const registry = new FinalizationRegistry((s) => {
  if (!s.finished) s.discard(true);
});

/** An HTTP/2 response: status and headers now, the body as it arrives. */
class H2oResponse {
  /** @internal */
  constructor(state) {
    this._s = state;
    this._headers = null;
    this._body = null;
    /** The status code. */
    this.status = state.status;
    /** The request URL. */
    this.url = state.url;
    /** 1xx responses received before this one: `{ status, headers }`. */
    this.informational = state.informational;
  }

  /** Whether the status is 200..299. */
  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  /** Always '' (HTTP/2 has no reason phrase). */
  get statusText() {
    return '';
  }

  /** The response header fields (case-insensitive). */
  get headers() {
    if (this._headers === null) this._headers = new H2oHeaders(this._s.headersRaw);
    return this._headers;
  }

  /** Whether the body has been (or is being) read. */
  get bodyUsed() {
    return this._s.bodyUsed;
  }

  /**
   * Trailer fields: a promise that resolves when the response ends (empty when the server
   * sent none) and rejects if it fails. Read the body, or it may never end.
   * @returns {Promise<H2oHeaders>}
   */
  get trailers() {
    const s = this._s;
    if (s.finished) {
      return s.error ? Promise.reject(s.error) : Promise.resolve(new H2oHeaders(s.trailersRaw || ''));
    }
    return new Promise((resolve, reject) => {
      (s.trailerWaiters ||= []).push({ resolve, reject });
    });
  }

  _use() {
    if (this._s.bodyUsed) throw new TypeError('Body has already been used');
    this._s.bodyUsed = true;
  }

  /** The body as an async iterable of Uint8Array chunks (Buffers). */
  get body() {
    if (this._body === null) {
      this._body = { [Symbol.asyncIterator]: () => this._iterator() };
    }
    return this._body;
  }

  _iterator() {
    this._use();
    const s = this._s;
    const self = this;
    return {
      next() {
        void self; // keeps the response (and its finalizer) alive while iterating
        if (s.buffered() > 0) return Promise.resolve({ value: s.take(), done: false });
        if (s.error) return Promise.reject(s.error);
        if (s.finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          s.waiter = { resolve, reject };
        });
      },
      return() {
        s.discard(true);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** The body as a web ReadableStream of Uint8Array. */
  stream() {
    const it = this._iterator();
    return new ReadableStream(
      {
        async pull(ctrl) {
          const { value, done } = await it.next();
          if (done) ctrl.close();
          else ctrl.enqueue(value);
        },
        cancel() {
          return it.return();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** The whole body as one Buffer. */
  async buffer() {
    const s = this._s;
    // Fast path: the body has already arrived whole.
    if (s.finished && !s.error && !s.bodyUsed) {
      this._use();
      const n = s.buffered();
      let out;
      if (n === 0) out = Buffer.alloc(0);
      else if (n === 1) out = s.take();
      else {
        const parts = [];
        while (s.buffered() > 0) parts.push(s.take());
        out = Buffer.concat(parts);
      }
      return out;
    }
    const parts = [];
    for await (const c of this.body) parts.push(c);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The whole body as an ArrayBuffer. */
  async arrayBuffer() {
    const b = await this.buffer();
    if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)) return b.buffer;
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }

  /** The whole body as a Uint8Array. */
  async bytes() {
    return new Uint8Array(await this.arrayBuffer());
  }

  /** The whole body decoded as UTF-8. */
  async text() {
    return (await this.buffer()).toString('utf8');
  }

  /** The whole body parsed as JSON. */
  async json() {
    return JSON.parse(await this.text());
  }

  /** Stops the response: RST_STREAM CANCEL if still open; buffered bytes are dropped. */
  cancel() {
    const s = this._s;
    s.bodyUsed = true;
    s.discard(!s.finished);
  }
}

function toBuffer(chunk, what) {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer || chunk instanceof SharedArrayBuffer) return Buffer.from(chunk);
  throw new errors.InvalidArgumentError(`${what} must be a string, Buffer, TypedArray, DataView or ArrayBuffer (got ${chunk === null ? 'null' : typeof chunk})`);
}

function isStreamBody(b) {
  return (
    b !== null &&
    typeof b === 'object' &&
    !ArrayBuffer.isView(b) &&
    (typeof b[Symbol.asyncIterator] === 'function' || typeof b.getReader === 'function' || typeof b[Symbol.iterator] === 'function')
  );
}

const LATIN1_OK = /^[\x00-\xff]*$/;

/** Serializes request headers to `name\0value\0...` (latin1). */
function headerString(h) {
  if (h === undefined || h === null) return undefined;
  let pairs;
  if (typeof h.entries === 'function' && !Array.isArray(h)) pairs = h.entries();
  else if (Array.isArray(h)) pairs = h;
  else if (typeof h === 'object') {
    pairs = [];
    for (const k of Object.keys(h)) {
      const v = h[k];
      if (Array.isArray(v)) for (const x of v) pairs.push([k, x]);
      else if (v !== undefined) pairs.push([k, v]);
    }
  } else {
    throw new errors.InvalidArgumentError('options.headers must be an object, an array of [name, value] pairs, a Map or a Headers');
  }
  let s = '';
  for (const p of pairs) {
    if (!Array.isArray(p) || p.length !== 2) throw new errors.InvalidArgumentError('options.headers entries must be [name, value] pairs');
    const n = String(p[0]);
    const v = String(p[1]);
    if (n.length === 0 || n.includes('\0') || v.includes('\0') || !LATIN1_OK.test(n) || !LATIN1_OK.test(v)) {
      throw new errors.InvalidArgumentError(`invalid header ${JSON.stringify(n)}: names and values must be non-empty latin1 without NUL`);
    }
    s += `${n}\0${v}\0`;
  }
  return s;
}

/** Internal: owns the NativeClient and routes its event batches. */
class ClientCore {
  constructor(config) {
    this.reqs = new Map();
    this.toRegister = [];
    this.inflight = 0;
    this.refd = false;
    this.userUnref = false;
    this.relQueue = [];
    this.relScheduled = false;
    this.closed = false;
    this.closePromise = null;
    this.closeResolve = null;
    this.counters = { requests: 0, completed: 0, failed: 0, batches: 0, events: 0, maxBatch: 0 };
    try {
      this.native = new NativeClient(config, (batch) => this.onBatch(batch));
    } catch (e) {
      throw errors.fromThrown(e);
    }
    this.flushReleases = () => {
      this.relScheduled = false;
      const q = this.relQueue;
      this.relQueue = [];
      if (this.native !== null) this.native.releaseMany(Uint32Array.from(q));
    };
  }

  release(id, n, flags) {
    if (this.native === null) return;
    while (n > MAX_RELEASE) {
      this.relQueue.push(id, MAX_RELEASE, 0);
      n -= MAX_RELEASE;
    }
    this.relQueue.push(id, n, flags);
    if (!this.relScheduled) {
      this.relScheduled = true;
      queueMicrotask(this.flushReleases);
    }
  }

  setRef(on) {
    if (this.native === null || this.refd === on) return;
    this.refd = on;
    this.native.setRef(on);
  }

  started() {
    if (this.inflight++ === 0 && !this.userUnref) this.setRef(true);
  }

  ended() {
    if (--this.inflight === 0 && !this.closePromise) this.setRef(false);
  }

  onBatch(b) {
    const n = b.length >> 2;
    this.counters.batches++;
    this.counters.events += n;
    if (n > this.counters.maxBatch) this.counters.maxBatch = n;
    for (let i = 0; i < b.length; i += 4) {
      const ty = b[i + 1];
      if (ty === EV_CLOSED) {
        this.onClosed();
        continue;
      }
      const s = this.reqs.get(b[i]);
      if (s === undefined) continue;
      switch (ty) {
        case EV_DATA: {
          const chunk = b[i + 3];
          if (s.dropped) {
            // Nobody wants it; the addon returns its credit when the request ends.
          } else if (s.waiter !== null && s.buffered() === 0) {
            const w = s.waiter;
            s.waiter = null;
            s.consumed(chunk.length);
            w.resolve({ value: chunk, done: false });
          } else {
            s.chunks.push(chunk);
          }
          break;
        }
        case EV_HEAD:
          s.status = b[i + 2];
          s.headersRaw = b[i + 3];
          this.settleHead(s, null);
          break;
        case EV_DONE:
          this.finish(s, null);
          break;
        case EV_ERROR:
          this.finish(s, s.bodyError || (s.aborted ? abortError(s.signal) : errors.fromNative(b[i + 3])));
          break;
        case EV_TRAILERS:
          s.trailersRaw = b[i + 3];
          break;
        case EV_INFORMATIONAL:
          s.informational.push({ status: b[i + 2], headers: new H2oHeaders(b[i + 3]) });
          break;
        case EV_BODY_READY:
          if (s.bodyReady) {
            const r = s.bodyReady;
            s.bodyReady = null;
            r();
          }
          break;
        default:
          break;
      }
    }
    if (this.toRegister.length > 0) {
      for (const res of this.toRegister) {
        const s = res._s;
        if (!s.finished) registry.register(res, s);
      }
      this.toRegister.length = 0;
    }
  }

  settleHead(s, err) {
    if (s.headSettled) return;
    s.headSettled = true;
    const { headResolve, headReject } = s;
    s.headResolve = s.headReject = null;
    if (err) headReject(err);
    else {
      const res = new H2oResponse(s);
      // Registered for GC at the end of the batch, if the stream is still open then: a
      // response dropped unread must cancel its stream (finished ones need nothing).
      this.toRegister.push(res);
      headResolve(res);
    }
  }

  finish(s, err) {
    if (s.finished) return;
    s.finished = true;
    s.error = err;
    this.reqs.delete(s.id);
    if (s.signal) {
      s.signal.removeEventListener('abort', s.onAbort);
      s.signal = null;
      s.onAbort = null;
    }
    if (err) this.counters.failed++;
    else this.counters.completed++;
    if (s.bodyReady) {
      const r = s.bodyReady;
      s.bodyReady = null;
      r();
    }
    this.ended();
    if (!s.headSettled) {
      this.settleHead(s, err || new errors.ProtocolError('response ended without a head'));
      s.discard(false);
    } else if (s.waiter !== null) {
      const w = s.waiter;
      s.waiter = null;
      if (err) w.reject(err);
      else w.resolve({ value: undefined, done: true });
    } else if (err && (!s.bodyUsed || s.aborted || s.dropped)) {
      // Nobody reads this body (or the caller aborted): drop what is buffered.
      s.discard(false);
    }
    if (s.trailerWaiters) {
      for (const w of s.trailerWaiters) {
        if (err) w.reject(err);
        else w.resolve(new H2oHeaders(s.trailersRaw || ''));
      }
      s.trailerWaiters = null;
    }
  }

  request(url, opts, owner) {
    let o;
    try {
      o = requestOptions(opts);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.closed) return Promise.reject(new errors.ClosedError('client is closed'));
    let href;
    if (typeof url === 'string') href = url;
    else if (url instanceof URL) href = url.href;
    else return Promise.reject(new errors.InvalidUrlError(`url must be a string or URL (got ${typeof url})`));
    let method = 'GET';
    let headers;
    let body;
    let stream = null;
    let nopts;
    try {
      if (o.method !== undefined) {
        if (typeof o.method !== 'string') throw new errors.InvalidArgumentError('options.method must be a string');
        method = o.method;
        const up = method.toUpperCase();
        if (['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'].includes(up)) method = up;
      }
      headers = headerString(o.headers);
      if (o.body !== undefined && o.body !== null) {
        if (o.body instanceof URLSearchParams) body = Buffer.from(o.body.toString());
        else if (isStreamBody(o.body)) stream = o.body;
        else body = toBuffer(o.body, 'options.body');
      }
      nopts = nativeRequestOptions(o);
      if (stream !== null) (nopts ||= {}).streamBody = true;
      if (o.signal !== undefined && o.signal !== null && typeof o.signal.addEventListener !== 'function') {
        throw new errors.InvalidArgumentError('options.signal must be an AbortSignal');
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = o.signal || null;
    if (signal && signal.aborted) return Promise.reject(abortError(signal));
    const id = this.native.request(method, href, headers, body, nopts);
    const s = new ReqState(this, id, href, owner);
    this.reqs.set(id, s);
    this.counters.requests++;
    this.started();
    const p = new Promise((resolve, reject) => {
      s.headResolve = resolve;
      s.headReject = reject;
    });
    if (signal) {
      s.signal = signal;
      s.onAbort = () => {
        if (s.finished) return;
        s.aborted = true;
        s.discard(true);
        const err = abortError(signal);
        if (!s.headSettled) this.settleHead(s, err);
      };
      signal.addEventListener('abort', s.onAbort, { once: true });
    }
    if (stream !== null) this.pump(s, stream);
    return p;
  }

  async pump(s, source) {
    const id = s.id;
    const native = this.native;
    try {
      for await (const c of source) {
        if (s.finished) break;
        const chunk = toBuffer(c, 'body chunk');
        if (chunk.length === 0) continue;
        let r = native.writeBody(id, chunk);
        while (r === 1) {
          await new Promise((resolve) => {
            s.bodyReady = resolve;
          });
          if (s.finished) return;
          r = native.pollBody(id);
        }
        if (r === 2) return;
      }
      if (!s.finished) native.endBody(id);
    } catch (e) {
      if (!s.finished) {
        native.cancel(id);
        const err = e instanceof errors.H2oError ? e : new errors.CancelledError(`request body failed: ${e && e.message}`, { cause: e });
        this.settleHead(s, err);
        s.bodyError = err;
      }
    }
  }

  close() {
    if (this.closePromise) return this.closePromise;
    this.closed = true;
    this.closePromise = new Promise((resolve) => {
      this.closeResolve = resolve;
    });
    if (!this.userUnref) this.setRef(true);
    this.native.close();
    return this.closePromise;
  }

  onClosed() {
    const n = this.native;
    this.native = null;
    // Requests still without a terminal event (none normally: close cancels them all).
    for (const s of this.reqs.values()) this.finish(s, new errors.ClosedError('client closed'));
    n.dispose();
    if (this.closeResolve) this.closeResolve();
  }

  /** A string from the native client's introspection (`metricsJson`, ...); throws
   * ClosedError once the client is closed. */
  introspect(what) {
    const s = this.native === null ? null : this.native[what]();
    if (s === null) throw new errors.ClosedError('client is closed');
    return s;
  }

  stats() {
    const c = this.counters;
    const base = {
      requests: c.requests,
      inFlight: this.inflight,
      completed: c.completed,
      failed: c.failed,
      batches: c.batches,
      events: c.events,
      maxBatch: c.maxBatch,
      closed: this.closed,
    };
    if (this.native === null) return base;
    const n = this.native.stats();
    const pool = this.native.poolStats();
    if (pool !== null) Object.assign(base, { pool: JSON.parse(pool) });
    return Object.assign(base, {
      native: {
        submitted: n[0],
        events: n[1],
        wakeups: n[2],
        batches: n[3],
        bytesReceived: n[4],
        externalBuffers: n[5],
        copiedBuffers: n[6],
        liveHandles: n[7],
        liveBodyWriters: n[8],
        queued: n[9],
      },
    });
  }
}

function abortError(signal) {
  const reason = signal ? signal.reason : undefined;
  return new errors.AbortError('the operation was aborted', { cause: reason });
}

const clientRegistry = new FinalizationRegistry((core) => {
  if (!core.closed) core.close();
});

/** An HTTP/2 client: connections per origin, shared by every request it sends. */
class Client {
  /** @param {import('../index').ClientOptions} [options] */
  constructor(options) {
    /** @internal */
    this._core = new ClientCore(clientConfig(options));
    clientRegistry.register(this, this._core, this);
  }

  /**
   * Sends a request; resolves with the response once its head arrives.
   * @param {string | URL} url
   * @param {import('../index').RequestOptions} [options]
   * @returns {Promise<H2oResponse>}
   */
  request(url, options) {
    return this._core.request(url, options, this);
  }

  /** Closes every connection (GOAWAY); in-flight requests fail with ECANCELLED. */
  close() {
    clientRegistry.unregister(this);
    return this._core.close();
  }

  /** Whether close() was called. */
  get closed() {
    return this._core.closed;
  }

  /** Lets the process exit even with requests in flight. */
  unref() {
    this._core.userUnref = true;
    this._core.setRef(false);
    return this;
  }

  /** Undoes unref(): requests in flight keep the process alive (the default). */
  ref() {
    this._core.userUnref = false;
    if (this._core.inflight > 0 || this._core.closePromise) this._core.setRef(true);
    return this;
  }

  /** Counters of this client (see index.d.ts ClientStats). */
  stats() {
    return this._core.stats();
  }

  /** The core's metrics snapshot (see index.d.ts Metrics); throws ClosedError once closed. */
  metrics() {
    return JSON.parse(this._core.introspect('metricsJson'));
  }

  /** The metrics in the Prometheus text exposition format. */
  metricsPrometheus() {
    return this._core.introspect('metricsPrometheus');
  }

  /** Every connection's state, settings, windows, open streams and queued requests
   * (see index.d.ts DebugDump). Blocks up to 500 ms waiting for the connection tasks. */
  debugDump() {
    return JSON.parse(this._core.introspect('debugDump'));
  }
}

module.exports = { Client, H2oResponse };
