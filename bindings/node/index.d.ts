// Type definitions for h2o-native: an HTTP/2 client for Node.js over the Rust h2o core.

/// <reference types="node" />

/**
 * Client settings. Durations are in milliseconds. Unknown keys and out-of-range values
 * throw an {@link InvalidArgumentError} naming the key.
 */
export interface ClientOptions {
  /** Threads of the library's own runtime, 1..64 (default 1). */
  runtimeThreads?: number;
  /** Transparent retries of requests the server provably did not process, 0..255 (default 3). */
  maxRetries?: number;
  /** TCP connect deadline per attempt, DNS included (default 10000). */
  connectTimeout?: number;
  /** The server must acknowledge our SETTINGS within this (default 10000). */
  settingsTimeout?: number;
  /** An unanswered keepalive PING after this long means the connection is dead (default 20000). */
  pingTimeout?: number;
  /** Default deadline for the response head; null/0 = none (default none). */
  headersTimeout?: number | null;
  /** Default longest silence between body chunks; null/0 = none (default none). */
  idleTimeout?: number | null;
  /** Default deadline for a whole request; null/0 = none (default none). */
  requestTimeout?: number | null;
  /** Send a PING after this long without hearing from the server; null/0 = never (default 30000). */
  keepaliveInterval?: number | null;
  /** SETTINGS_HEADER_TABLE_SIZE we advertise (default 4096). */
  headerTableSize?: number;
  /** Upper bound of our HPACK encoder's dynamic table (default 4096). */
  encoderTableSize?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS we advertise (default 100). */
  maxConcurrentStreams?: number;
  /** Receive window of each stream, up to 2^31-1 (default 1 MiB). */
  initialWindowSize?: number;
  /** Receive window of a connection, 65535..2^31-1 (default 8 MiB). */
  connectionWindowSize?: number;
  /** SETTINGS_MAX_FRAME_SIZE we accept, 16384..16777215 (default 16384). */
  maxFrameSize?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we accept, at least 1024 (default 256 KiB). */
  maxHeaderListSize?: number;
  /** CONTINUATION frames accepted per header block; 0 = derived (default 0). */
  maxContinuationFrames?: number;
  /** Grow receive windows from the measured bandwidth-delay product (default true). */
  adaptiveWindow?: boolean;
  /** Cap of the adaptive windows (default 32 MiB). */
  maxAdaptiveWindow?: number;
  /** Requests waiting for a stream slot beyond which submission fails with ELIMIT (default 65536). */
  maxPendingRequests?: number;
  /** Request body bytes buffered per stream before the writer waits (default 256 KiB). */
  sendBufferSize?: number;
  /** DATA bytes written per flush (default 256 KiB). */
  writeHighWater?: number;
  /** Room made in the read buffer before each socket read, bytes (default 64 KiB; 1024..64 MiB). */
  readBufferSize?: number;
  /**
   * Early flush: a socket read with more frames than this writes the requests submitted
   * meanwhile once, before the rest is processed (default 0: off). Pays off on one busy
   * connection to a fast server; costs one more write per large read.
   */
  earlyFlushFrames?: number;
  /**
   * Layer the JSON file named by H2O_CONFIG and then the H2O_<SETTING> environment variables
   * over these options (docs/CONFIG.md); without it the environment is not read (default false).
   */
  fromEnv?: boolean;
  /** Reset streams whose late frames are silently dropped (default 1024). */
  maxResetStreamsRemembered?: number;
  /** Send RFC 7540 priorities (weight) and schedule DATA by weight (default false). */
  rfc7540Priorities?: boolean;
  /** RFC 9218 urgency (0..7) of requests that set no priority (default 3). */
  defaultUrgency?: number;
  /** RFC 9218 incremental flag of requests that set no priority (default false). */
  defaultIncremental?: boolean;
  /** RFC 7540 weight (1..256) of requests that set no priority, sent with rfc7540Priorities (default 16). */
  defaultWeight?: number;
  /** An unanswered PING after this long stops new requests to the connection, ms (default 10000). */
  pingSoftTimeout?: number;
  /** Response bytes buffered before connection credit waits for consumption (default 128 MiB). */
  maxBufferedPerConnection?: number;
  /** Most connections to one origin (default 8). */
  poolMaxConnectionsPerOrigin?: number;
  /** Most connections in total; the least recently used idle one is evicted beyond it (default 256). */
  poolMaxConnectionsTotal?: number;
  /** When every connection is at the server's stream limit: wait ('queue', default) or open another. */
  poolOverflow?: 'queue' | 'openMore';
  /** Close connections idle this long, ms; null for never (default 90000). */
  poolIdleTimeout?: number | null;
  /** First circuit-breaker backoff, ms (default 100). */
  poolBackoffBase?: number;
  /** Longest backoff, ms (default 10000). */
  poolBackoffMax?: number;
  /** Consecutive failed connection attempts that open an origin's circuit (default 3). */
  poolBreakerThreshold?: number;
  /** PING a connection silent this long before reusing it, ms; null for never (default 30000). */
  poolCheckAfterIdle?: number | null;
  /** Retries one connection may cause before it is retired (default 100). */
  poolConnectionRetryBudget?: number;
  /** Also retry idempotent requests lost with their connection (default false). */
  poolRetryIdempotent?: boolean;
  /** Extra CA certificates (PEM file) for https://. */
  tlsCaFile?: string;
  /** Trust the system's CA store (default true). */
  tlsUseSystemRoots?: boolean;
  /** Client certificate (PEM) for mTLS. */
  tlsClientCert?: string;
  /** Client key (PEM) for mTLS. */
  tlsClientKey?: string;
  /** SPKI SHA-256 pins (base64, optionally prefixed sha256//). */
  tlsPins?: string[];
  /** Certificate revocation lists (PEM or DER files). */
  tlsCrlFiles?: string[];
  /** Accept any certificate (testing only). */
  tlsDangerAcceptInvalidCerts?: boolean;
  /** TLS handshake deadline, ms (default 10000). */
  tlsHandshakeTimeout?: number;
  /** Flood limits per second (peer frames that cost work), see the core's FloodLimits. */
  floodSettingsPerSec?: number;
  floodPingsPerSec?: number;
  floodResetsPerSec?: number;
  floodWindowUpdatesPerSec?: number;
  floodEmptyFramesPerSec?: number;
  /** Our own RST_STREAM budget per second; beyond it new streams wait. */
  floodLocalResetsPerSec?: number;
  /** Unwritten control-frame bytes tolerated before ENHANCE_YOUR_CALM. */
  floodMaxControlBacklog?: number;
}

/** RFC 9218 priority (and RFC 7540 weight when the client enables rfc7540Priorities). */
export interface Priority {
  /** 0 (most urgent) .. 7; default 3. */
  urgency?: number;
  /** Whether the response is usable incrementally. */
  incremental?: boolean;
  /** RFC 7540 weight 1..256 (default 16). */
  weight?: number;
}

/** A request body: bytes, text, or chunks produced over time (streamed with backpressure). */
export type RequestBody =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | URLSearchParams
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>
  | ReadableStream<Uint8Array>;

/** Request header fields. */
export type RequestHeaders =
  | Record<string, string | number | readonly string[]>
  | Iterable<readonly [string, string]>
  | { entries(): Iterable<[string, string]> };

/** Options of {@link Client.request}. Unknown keys throw {@link InvalidArgumentError}. */
export interface RequestOptions {
  /** The method (default GET); common methods are upper-cased. */
  method?: string;
  /** Header fields; names are lower-cased; values must be latin1. */
  headers?: RequestHeaders;
  /** The body; a content-length is added for in-memory bodies. */
  body?: RequestBody | null;
  /** Cancels the request (RST_STREAM CANCEL); it then rejects with {@link AbortError}. */
  signal?: AbortSignal | null;
  /** Whole-request deadline (ms): ETIMEDOUT with subkind 'request'. */
  timeout?: number;
  /** Response-head deadline (ms): ETIMEDOUT with subkind 'headers'. */
  headersTimeout?: number;
  /** Longest silence between body chunks (ms): ETIMEDOUT with subkind 'idle'. */
  idleTimeout?: number;
  /** Urgency 0..7 or a {@link Priority}. */
  priority?: number | Priority;
  /** Connection lane: requests in different lanes never share a connection. */
  lane?: number;
}

/** Read-only, case-insensitive response (or trailer) header fields. */
export declare class H2oHeaders implements Iterable<[string, string]> {
  /** Builds headers from pairs (mostly for tests). */
  constructor(init?: Array<[string, string]>);
  /** The values of `name` joined with ', ', or null when absent. */
  get(name: string): string | null;
  /** Every value of `name` in received order. */
  getAll(name: string): string[];
  /** The set-cookie values, unjoined. */
  getSetCookie(): string[];
  /** Whether `name` is present. */
  has(name: string): boolean;
  /** Number of fields (repeats counted). */
  readonly size: number;
  /** `[name, value]` pairs in received order (lower-case names). */
  entries(): IterableIterator<[string, string]>;
  /** Field names in received order. */
  keys(): IterableIterator<string>;
  /** Field values in received order. */
  values(): IterableIterator<string>;
  /** Calls `fn` for every field. */
  forEach(fn: (value: string, name: string, headers: H2oHeaders) => void, thisArg?: unknown): void;
  /** Same as entries(). */
  [Symbol.iterator](): IterableIterator<[string, string]>;
  /** A plain object (repeated names joined with ', '). */
  toJSON(): Record<string, string>;
}

/** A 1xx response received before the final one. */
export interface InformationalResponse {
  /** 100..199. */
  status: number;
  /** Its fields. */
  headers: H2oHeaders;
}

/** A response: the head when the promise resolves, the body as it arrives. */
export declare class H2oResponse {
  private constructor();
  /** The status code. */
  readonly status: number;
  /** Whether the status is 200..299. */
  readonly ok: boolean;
  /** Always '' (HTTP/2 has no reason phrase). */
  readonly statusText: string;
  /** The request URL. */
  readonly url: string;
  /** The header fields. */
  readonly headers: H2oHeaders;
  /** 1xx responses (e.g. 103 Early Hints) that preceded this one. */
  readonly informational: InformationalResponse[];
  /** Whether the body was (or is being) read. */
  readonly bodyUsed: boolean;
  /**
   * Trailer fields, when the response ends (empty if none were sent); rejects when the
   * response fails. Read the body: an unread body may never end.
   */
  readonly trailers: Promise<H2oHeaders>;
  /** The body as an async iterable of chunks (each a Buffer); can be read once. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The body as a web ReadableStream. */
  stream(): ReadableStream<Uint8Array>;
  /** The whole body as a Buffer. */
  buffer(): Promise<Buffer>;
  /** The whole body as an ArrayBuffer. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /** The whole body as a Uint8Array. */
  bytes(): Promise<Uint8Array>;
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** The whole body parsed as JSON. */
  json<T = unknown>(): Promise<T>;
  /** Stops the response (RST_STREAM CANCEL if the stream is open) and drops buffered bytes. */
  cancel(): void;
}

/** Counters of the native layer (the core has no stats API yet: these are the binding's). */
export interface NativeStats {
  /** Requests handed to the core. */
  submitted: number;
  /** Events pushed by the runtime thread. */
  events: number;
  /** Threadsafe-function calls (queue went from empty to non-empty). */
  wakeups: number;
  /** Batches drained on the JS thread. */
  batches: number;
  /** Response body bytes delivered. */
  bytesReceived: number;
  /** Body chunks delivered as external (zero-copy) buffers. */
  externalBuffers: number;
  /** Body chunks delivered as copies (smaller than 4 KiB). */
  copiedBuffers: number;
  /** Request handles the binding still holds (requests not yet fully consumed). */
  liveHandles: number;
  /** Streamed request bodies still open. */
  liveBodyWriters: number;
  /** Events waiting in the queue. */
  queued: number;
}

/** What {@link Client.metrics} returns. Latencies are of completed requests (submit to
 * end of response) in microseconds, from HDR-style buckets (at most ~3% high). */
export interface Metrics {
  uptime_seconds: number;
  requests: {
    submitted: number;
    completed: number;
    failed: number;
    retried: number;
    in_flight: number;
    completed_per_second: number;
  };
  latency_us: {
    count: number;
    sum: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    p999: number;
    max: number;
    /** Non-empty buckets as `[low, high, count]`. */
    buckets: Array<[number, number, number]>;
  };
  /** Failed requests by error kind name (`connect`, `stream_reset`, ...), zeros included. */
  errors: Record<string, number>;
  bytes: {
    body_received: number;
    body_sent: number;
    wire_received: number;
    wire_sent: number;
    body_received_per_second: number;
    body_sent_per_second: number;
  };
  /** Streams waiting for flow-control credit to send their body. */
  flow_control: { stalls: number; stalled_seconds: number };
  /** HPACK-encoded header bytes vs. plain (name + value) size; ratios null before traffic. */
  hpack: {
    sent_encoded: number;
    sent_plain: number;
    received_encoded: number;
    received_plain: number;
    sent_ratio: number | null;
    received_ratio: number | null;
  };
  /** Connection read-buffer refills that reused the allocation (hits) or allocated (misses). */
  read_buffer: { hits: number; misses: number };
  /** Mid-read writes of new requests (the earlyFlushFrames option). */
  early_flushes: number;
  pool: {
    connections_open: number;
    connections_created: number;
    open_streams: number;
    queued: number;
    acquisitions_hit: number;
    acquisitions_miss: number;
    closed: Record<string, number>;
  };
}

/** HTTP/2 settings in a {@link DebugDump}. */
export interface DebugSettings {
  header_table_size: number;
  max_concurrent_streams: number;
  initial_window_size: number;
  max_frame_size: number;
  max_header_list_size: number;
}

/** One open stream in a {@link DebugDump}. */
export interface DebugStream {
  stream_id: number;
  request_id: number;
  state: 'open' | 'half_closed_local' | 'half_closed_remote' | 'closed' | 'idle';
  head_received: boolean;
  send_window: number;
  recv_window: number;
  send_buffered: number;
  received: number;
  age_ms: number;
  request_age_ms: number | null;
  stalled_ms: number | null;
}

/** One connection in a {@link DebugDump} (settings and streams absent while connecting or
 * when the connection did not answer in time). */
export interface DebugConnection {
  id: number;
  origin: string;
  lane: number;
  accepting: boolean;
  inbound: number;
  state: 'connecting' | 'open' | 'draining' | 'closed' | 'unresponsive';
  soft_dead?: boolean;
  rtt_us?: number | null;
  local_settings?: DebugSettings;
  peer_settings?: DebugSettings;
  peer_settings_received?: boolean;
  settings_acked?: boolean;
  windows?: { send: number; recv: number; recv_size: number };
  buffered?: number;
  next_stream_id?: number;
  goaway_last_stream?: number | null;
  streams?: DebugStream[];
  queued?: Array<{ request_id: number; body_len: number; request_age_ms?: number }>;
  parked?: number;
}

/** What {@link Client.debugDump} returns. */
export interface DebugDump {
  uptime_seconds: number;
  requests_in_flight: number;
  requests_delayed: number;
  connections: DebugConnection[];
}

/** What {@link Client.stats} returns. */
export interface ClientStats {
  /** Requests sent. */
  requests: number;
  /** Requests without their final event yet. */
  inFlight: number;
  /** Requests that completed. */
  completed: number;
  /** Requests that failed. */
  failed: number;
  /** Event batches received on the JS thread. */
  batches: number;
  /** Events received on the JS thread. */
  events: number;
  /** Largest batch (events). */
  maxBatch: number;
  /** Whether close() was called. */
  closed: boolean;
  /** Native-layer counters (absent once the client is closed). */
  native?: NativeStats;
}

/** An HTTP/2 client: one connection per origin (and lane), multiplexing every request. */
export declare class Client {
  /** Starts a client (its runtime thread). Throws {@link InvalidArgumentError} for bad options. */
  constructor(options?: ClientOptions);
  /** Sends a request; resolves when the response head arrives. */
  request(url: string | URL, options?: RequestOptions): Promise<H2oResponse>;
  /** GOAWAY on every connection; in-flight requests fail with ECANCELLED. Idempotent. */
  close(): Promise<void>;
  /** Whether close() was called. */
  readonly closed: boolean;
  /** Lets the process exit even while requests are in flight. */
  unref(): this;
  /** Requests in flight keep the process alive again (the default). */
  ref(): this;
  /** Counters of this client. */
  stats(): ClientStats;
  /**
   * The core's metrics snapshot (same shape, snake_case keys, in every front end).
   * Throws {@link ClosedError} once closed.
   * @example client.metrics().latency_us.p99
   */
  metrics(): Metrics;
  /** The metrics in the Prometheus text exposition format (for a `/metrics` endpoint). */
  metricsPrometheus(): string;
  /**
   * Every connection's state, settings, windows, open streams and queued requests.
   * Blocks the calling thread up to 500 ms while the connection tasks answer.
   * @example client.debugDump().connections[0].streams.length
   */
  debugDump(): DebugDump;
}

/** fetch() init accepted by {@link h2oFetch} (other fetch keys are ignored). */
export interface H2oFetchInit {
  /** The method (default GET, or the Request's). */
  method?: string;
  /** Header fields (a Headers, plain object or pairs). */
  headers?: RequestHeaders | Headers;
  /** The body: in-memory, Blob, or a stream (sent with backpressure). */
  body?: RequestBody | Blob | null;
  /** Cancels the request; the promise (or body read) rejects with {@link AbortError}. */
  signal?: AbortSignal | null;
  /** Redirects are never followed; 'manual' and 'follow' both return the 3xx response. */
  redirect?: 'manual' | 'follow';
  /** Whole-request deadline (ms). */
  timeout?: number;
  /** Urgency 0..7 or a {@link Priority}. */
  priority?: number | Priority;
  /** The client to use (default: a shared client created on first use). */
  client?: Client;
}

/** fetch() over HTTP/2 (h2c or, once the core has TLS, h2): returns a standard Response. */
export declare function h2oFetch(input: string | URL | Request, init?: H2oFetchInit): Promise<Response>;

/** Level of a core log record, most to least severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** One record of the core's log, as passed to a {@link setLogger} function. */
export interface LogRecord {
  /** Its level ('trace': one record per HTTP/2 frame sent or received). */
  level: LogLevel;
  /** Where it comes from: 'h2o::proto', 'h2o::proto::frame', 'h2o::transport' or 'h2o::pool'. */
  target: string;
  /**
   * The message and its fields (`conn=`, `stream=`, `request=` as correlation id). Frame
   * records span several lines (flags, settings, the decoded header list); values of
   * authorization, proxy-authorization, cookie and set-cookie appear as `<redacted>`.
   */
  message: string;
}

/**
 * Routes the core's log records up to `options.level` (default 'debug') to `fn`, called
 * asynchronously on the JS thread, in order. One logger per process: a new call replaces
 * it; `setLogger(null)` removes it and the removed function is not called again. Never
 * keeps the process alive; levels below the chosen one cost nothing in the core.
 *
 * @example
 * setLogger((r) => console.error(`[${r.level}] ${r.target}: ${r.message}`), { level: 'trace' });
 */
export declare function setLogger(fn: ((record: LogRecord) => void) | null, options?: { level?: LogLevel }): void;

/** Stable core error-kind numbers. */
export declare const Kind: Readonly<{
  INVALID_ARGUMENT: 1;
  INVALID_URL: 2;
  CONNECT: 3;
  TLS: 4;
  CONNECT_TIMEOUT: 5;
  HEADERS_TIMEOUT: 6;
  IDLE_TIMEOUT: 7;
  REQUEST_TIMEOUT: 8;
  PROTOCOL: 9;
  STREAM_RESET: 10;
  GOAWAY: 11;
  REFUSED: 12;
  CANCELLED: 13;
  LIMIT_EXCEEDED: 14;
  CLOSED: 15;
  IO: 16;
  SETTINGS_TIMEOUT: 17;
  PING_TIMEOUT: 18;
  TLS_HANDSHAKE_TIMEOUT: 19;
}>;

/** RFC 9113 error code names, indexed by code. */
export declare const H2_CODES: readonly string[];

/** Base class of every h2o-native error. */
export declare class H2oError extends Error {
  /** Stable string code, e.g. 'ECONNECT'. */
  readonly code: string;
  /** Stable core kind number (see {@link Kind}). */
  readonly kind: number;
  /** Core kind name, e.g. 'stream_reset'. */
  readonly kindName: string | undefined;
  /** RFC 9113 error code for protocol errors, resets and GOAWAY. */
  readonly h2Code: number | undefined;
  /** Name of h2Code, e.g. 'CANCEL'. */
  readonly h2CodeName: string | undefined;
  /** The server reported the error (RST_STREAM, GOAWAY). */
  readonly remote: boolean;
  /** The server provably did not process the request: safe to retry. */
  readonly unprocessed: boolean;
  /** Whether the error ended the stream or the whole connection. */
  readonly scope: 'stream' | 'connection';
}
/** ECONNECT: DNS or TCP connect failed. */
export declare class ConnectError extends H2oError {}
/** ETLS: TLS failed (https:// is not supported by the core yet). */
export declare class TlsError extends H2oError {}
/** ETIMEDOUT: a deadline passed. */
export declare class TimeoutError extends H2oError {
  /** Which deadline. */
  readonly subkind: 'connect' | 'headers' | 'idle' | 'request' | 'settings' | 'ping' | 'tls_handshake';
}
/** EPROTOCOL: an HTTP/2 protocol violation (h2Code says which). */
export declare class ProtocolError extends H2oError {}
/** ESTREAMRESET: the server reset the stream. */
export declare class StreamResetError extends H2oError {}
/** EGOAWAY: the server sent GOAWAY and the request could not be retried. */
export declare class GoAwayError extends H2oError {}
/** EREFUSED: REFUSED_STREAM and retries ran out. */
export declare class RefusedError extends H2oError {}
/** ECANCELLED: cancelled by response.cancel() or client close. */
export declare class CancelledError extends H2oError {}
/** ABORT_ERR: the request's AbortSignal fired (name 'AbortError'; cause = signal.reason). */
export declare class AbortError extends CancelledError {}
/** ELIMIT: a configured limit was exceeded. */
export declare class LimitError extends H2oError {}
/** ECLOSED: the client or connection is closed. */
export declare class ClosedError extends H2oError {}
/** EIO: an I/O error on an established connection. */
export declare class IoError extends H2oError {}
/** EINVALIDURL: not an absolute http(s) URL the core accepts. */
export declare class InvalidUrlError extends H2oError {}
/** EINVALIDARG: a bad argument or option (the message names it). */
export declare class InvalidArgumentError extends H2oError {}

/** The core's error kinds by name (from the addon; for cross-checking {@link Kind}). */
export declare function errorKinds(): Record<string, number>;
/** The version of the addon crate. */
export declare function nativeVersion(): string;

/** The whole API as one object (the CommonJS module.exports; the ESM default export). */
declare const h2o: {
  Client: typeof Client;
  H2oResponse: typeof H2oResponse;
  H2oHeaders: typeof H2oHeaders;
  h2oFetch: typeof h2oFetch;
  setLogger: typeof setLogger;
  Kind: typeof Kind;
  H2_CODES: typeof H2_CODES;
  H2oError: typeof H2oError;
  ConnectError: typeof ConnectError;
  TlsError: typeof TlsError;
  TimeoutError: typeof TimeoutError;
  ProtocolError: typeof ProtocolError;
  StreamResetError: typeof StreamResetError;
  GoAwayError: typeof GoAwayError;
  RefusedError: typeof RefusedError;
  CancelledError: typeof CancelledError;
  AbortError: typeof AbortError;
  LimitError: typeof LimitError;
  ClosedError: typeof ClosedError;
  IoError: typeof IoError;
  InvalidUrlError: typeof InvalidUrlError;
  InvalidArgumentError: typeof InvalidArgumentError;
  errorKinds: typeof errorKinds;
  nativeVersion: typeof nativeVersion;
};
export default h2o;
