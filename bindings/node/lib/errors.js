'use strict';
// Error classes: every failure is an H2oError subclass with a stable `code` string and
// the core's stable error-kind number (`kind`).

/** Stable kind numbers of h2o-core's ErrorKind (part of the C ABI; never change). */
const Kind = Object.freeze({
  INVALID_ARGUMENT: 1,
  INVALID_URL: 2,
  CONNECT: 3,
  TLS: 4,
  CONNECT_TIMEOUT: 5,
  HEADERS_TIMEOUT: 6,
  IDLE_TIMEOUT: 7,
  REQUEST_TIMEOUT: 8,
  PROTOCOL: 9,
  STREAM_RESET: 10,
  GOAWAY: 11,
  REFUSED: 12,
  CANCELLED: 13,
  LIMIT_EXCEEDED: 14,
  CLOSED: 15,
  IO: 16,
  SETTINGS_TIMEOUT: 17,
  PING_TIMEOUT: 18,
  TLS_HANDSHAKE_TIMEOUT: 19,
});

const KIND_NAMES = Object.freeze({
  1: 'invalid_argument', 2: 'invalid_url', 3: 'connect', 4: 'tls', 5: 'connect_timeout',
  6: 'headers_timeout', 7: 'idle_timeout', 8: 'request_timeout', 9: 'protocol',
  10: 'stream_reset', 11: 'goaway', 12: 'refused', 13: 'cancelled', 14: 'limit_exceeded',
  15: 'closed', 16: 'io', 17: 'settings_timeout', 18: 'ping_timeout',
  19: 'tls_handshake_timeout',
});

/** RFC 9113 §7 error code names. */
const H2_CODES = Object.freeze([
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT',
  'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR',
  'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
]);

/** Base class of every error h2o-native raises. */
class H2oError extends Error {
  /**
   * @param {string} message
   * @param {object} [details]
   */
  constructor(message, details = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = new.target.name;
    /** Stable string code, e.g. `'ECONNECT'`. */
    this.code = new.target.code;
    /** Stable core error-kind number (see `Kind`). */
    this.kind = details.kind ?? new.target.defaultKind;
    /** The core's kind name, e.g. `'stream_reset'`. */
    this.kindName = KIND_NAMES[this.kind];
    /** RFC 9113 error code (number) for protocol errors, resets and GOAWAY, else undefined. */
    this.h2Code = details.h2Code;
    /** Name of `h2Code`, e.g. `'CANCEL'`. */
    this.h2CodeName = details.h2Code === undefined ? undefined : H2_CODES[details.h2Code] ?? `0x${details.h2Code.toString(16)}`;
    /** True when the server reported the error (RST_STREAM, GOAWAY). */
    this.remote = details.remote ?? false;
    /** True when the server provably did not process the request (safe to retry). */
    this.unprocessed = details.unprocessed ?? false;
    /** `'connection'` when the error ended the whole connection, else `'stream'`. */
    this.scope = details.connection ? 'connection' : 'stream';
  }
}
H2oError.code = 'EH2O';
H2oError.defaultKind = 0;

function define(name, code, kind, Base = H2oError) {
  const C = { [name]: class extends Base {} }[name];
  C.code = code;
  C.defaultKind = kind;
  return C;
}

/** DNS resolution or the TCP connect failed. */
const ConnectError = define('ConnectError', 'ECONNECT', Kind.CONNECT);
/** TLS failed (https:// is not supported by the core yet: every https URL gives this). */
const TlsError = define('TlsError', 'ETLS', Kind.TLS);
/** A deadline passed; `subkind` says which: connect, headers, idle, request, settings, ping, tls_handshake. */
class TimeoutError extends H2oError {
  constructor(message, details = {}) {
    super(message, details);
    /** Which deadline: `'connect' | 'headers' | 'idle' | 'request' | 'settings' | 'ping'`. */
    this.subkind = (KIND_NAMES[this.kind] || 'request_timeout').replace(/_timeout$/, '');
  }
}
TimeoutError.code = 'ETIMEDOUT';
TimeoutError.defaultKind = Kind.REQUEST_TIMEOUT;
/** An HTTP/2 protocol violation; `h2Code` holds the RFC 9113 code. */
const ProtocolError = define('ProtocolError', 'EPROTOCOL', Kind.PROTOCOL);
/** The server reset the stream (RST_STREAM); `h2Code` holds its code. */
const StreamResetError = define('StreamResetError', 'ESTREAMRESET', Kind.STREAM_RESET);
/** The server sent GOAWAY and the request could not be retried. */
const GoAwayError = define('GoAwayError', 'EGOAWAY', Kind.GOAWAY);
/** The server refused the stream (REFUSED_STREAM) and retries ran out. */
const RefusedError = define('RefusedError', 'EREFUSED', Kind.REFUSED);
/** The request was cancelled (by `response.cancel()` or client close). */
const CancelledError = define('CancelledError', 'ECANCELLED', Kind.CANCELLED);
/** The request's AbortSignal fired; `cause` is the signal's reason. */
const AbortError = define('AbortError', 'ABORT_ERR', Kind.CANCELLED, CancelledError);
/** A configured limit was exceeded (pending queue, header list size...). */
const LimitError = define('LimitError', 'ELIMIT', Kind.LIMIT_EXCEEDED);
/** The client (or the connection) is closed. */
const ClosedError = define('ClosedError', 'ECLOSED', Kind.CLOSED);
/** An I/O error on an established connection. */
const IoError = define('IoError', 'EIO', Kind.IO);
/** The URL is not an absolute http:// or https:// URL the core accepts. */
const InvalidUrlError = define('InvalidUrlError', 'EINVALIDURL', Kind.INVALID_URL);
/** An argument or option is invalid; the message names it. */
const InvalidArgumentError = define('InvalidArgumentError', 'EINVALIDARG', Kind.INVALID_ARGUMENT);

const BY_KIND = {
  1: InvalidArgumentError, 2: InvalidUrlError, 3: ConnectError, 4: TlsError, 5: TimeoutError,
  6: TimeoutError, 7: TimeoutError, 8: TimeoutError, 9: ProtocolError, 10: StreamResetError,
  11: GoAwayError, 12: RefusedError, 13: CancelledError, 14: LimitError, 15: ClosedError,
  16: IoError, 17: TimeoutError, 18: TimeoutError, 19: TimeoutError,
};

/** Builds the error for a core failure (`[message, kind, h2code, remote, unprocessed, connection]`). */
function fromNative(d) {
  const [message, kind, h2, remote, unprocessed, connection] = d;
  const C = BY_KIND[kind] || H2oError;
  return new C(message, {
    kind,
    h2Code: h2 >= 0 ? h2 : undefined,
    remote,
    unprocessed,
    connection,
  });
}

/** Errors thrown synchronously by the addon carry `kind|message`. */
function fromThrown(e) {
  const m = /^(\d+)\|([\s\S]*)$/.exec(e && e.message);
  if (!m) return e;
  const kind = Number(m[1]);
  const C = BY_KIND[kind] || H2oError;
  return new C(m[2], { kind });
}

module.exports = {
  Kind,
  H2_CODES,
  H2oError,
  ConnectError,
  TlsError,
  TimeoutError,
  ProtocolError,
  StreamResetError,
  GoAwayError,
  RefusedError,
  CancelledError,
  AbortError,
  LimitError,
  ClosedError,
  IoError,
  InvalidUrlError,
  InvalidArgumentError,
  fromNative,
  fromThrown,
};
