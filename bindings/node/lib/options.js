'use strict';
// Validation of client and request options: unknown keys and bad values throw an
// InvalidArgumentError that names the key.
const { InvalidArgumentError } = require('./errors');

const U31 = 2 ** 31 - 1;
const U32 = 2 ** 32 - 1;

// key: [type, min, max]; types: int, ms (positive duration), optms (positive or null/0 =
// none), bool. Durations are milliseconds.
const CLIENT = {
  runtimeThreads: ['int', 1, 64],
  maxRetries: ['int', 0, 255],
  connectTimeout: ['ms'],
  settingsTimeout: ['ms'],
  pingTimeout: ['ms'],
  headersTimeout: ['optms'],
  idleTimeout: ['optms'],
  requestTimeout: ['optms'],
  keepaliveInterval: ['optms'],
  headerTableSize: ['int', 0, U32],
  encoderTableSize: ['int', 0, U32],
  maxConcurrentStreams: ['int', 0, U32],
  initialWindowSize: ['int', 0, U31],
  connectionWindowSize: ['int', 65535, U31],
  maxFrameSize: ['int', 16384, 16777215],
  maxHeaderListSize: ['int', 1024, U32],
  maxContinuationFrames: ['int', 0, U32],
  adaptiveWindow: ['bool'],
  maxAdaptiveWindow: ['int', 0, U31],
  maxPendingRequests: ['int', 0, U32],
  sendBufferSize: ['int', 1, U32],
  writeHighWater: ['int', 1, U32],
  readBufferSize: ['int', 1024, 64 * 1024 * 1024],
  earlyFlushFrames: ['int', 0, 1 << 20],
  maxResetStreamsRemembered: ['int', 0, U32],
  rfc7540Priorities: ['bool'],
  defaultUrgency: ['int', 0, 7],
  defaultIncremental: ['bool'],
  defaultWeight: ['int', 1, 256],
  pingSoftTimeout: ['ms'],
  maxBufferedPerConnection: ['int', 0, Number.MAX_SAFE_INTEGER],
  poolMaxConnectionsPerOrigin: ['int', 1, U32],
  poolMaxConnectionsTotal: ['int', 1, U32],
  poolOverflow: ['enum', ['queue', 'openMore']],
  poolIdleTimeout: ['optms'],
  poolBackoffBase: ['ms'],
  poolBackoffMax: ['ms'],
  poolBreakerThreshold: ['int', 1, U32],
  poolCheckAfterIdle: ['optms'],
  poolConnectionRetryBudget: ['int', 1, U32],
  poolRetryIdempotent: ['bool'],
  tlsCaFile: ['str'],
  tlsUseSystemRoots: ['bool'],
  tlsClientCert: ['str'],
  tlsClientKey: ['str'],
  tlsPins: ['strs'],
  tlsCrlFiles: ['strs'],
  tlsDangerAcceptInvalidCerts: ['bool'],
  tlsHandshakeTimeout: ['ms'],
  floodSettingsPerSec: ['int', 0, U32],
  floodPingsPerSec: ['int', 0, U32],
  floodResetsPerSec: ['int', 0, U32],
  floodWindowUpdatesPerSec: ['int', 0, U32],
  floodEmptyFramesPerSec: ['int', 0, U32],
  floodLocalResetsPerSec: ['int', 0, U32],
  floodMaxControlBacklog: ['int', 0, U32],
  // Not a setting: layer the H2O_CONFIG file and H2O_<SETTING> variables over the options.
  fromEnv: ['bool'],
};

/** Options whose "none" (null/0) must reach the core explicitly (their default is a value). */
const NONE_AS_NEGATIVE = new Set(['keepaliveInterval', 'poolIdleTimeout', 'poolCheckAfterIdle']);

function fail(where, key, why) {
  return new InvalidArgumentError(`${where}.${key} ${why}`);
}

function checkValue(where, key, spec, v) {
  const [type, min, max] = spec;
  switch (type) {
    case 'bool':
      if (typeof v !== 'boolean') throw fail(where, key, `must be a boolean (got ${typeof v})`);
      return v;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw fail(where, key, `must be an integer (got ${String(v)})`);
      if (v < min || v > max) throw fail(where, key, `must be in ${min}..${max} (got ${v})`);
      return v;
    case 'ms':
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw fail(where, key, `must be a positive number of milliseconds (got ${String(v)})`);
      }
      return v;
    case 'str':
      if (typeof v !== 'string' || v === '') throw fail(where, key, `must be a non-empty string (got ${typeof v})`);
      return v;
    case 'strs':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
        throw fail(where, key, 'must be an array of strings');
      }
      return v;
    case 'enum':
      if (!min.includes(v)) throw fail(where, key, `must be one of ${min.map((x) => `'${x}'`).join(', ')} (got ${String(v)})`);
      return v;
    case 'optms':
      if (v === null || v === false || v === 0) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw fail(where, key, `must be a positive number of milliseconds, or null/0 for none (got ${String(v)})`);
      }
      return v;
    default:
      throw new Error(`unreachable: ${type}`);
  }
}

/** Validates client options; returns the object the addon takes. */
function clientConfig(options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`options must be an object (got ${Array.isArray(options) ? 'array' : typeof options})`);
  }
  const out = {};
  for (const key of Object.keys(options)) {
    const spec = CLIENT[key];
    if (!spec) {
      throw new InvalidArgumentError(`options.${key} is not a client option (known: ${Object.keys(CLIENT).join(', ')})`);
    }
    const v = options[key];
    if (v === undefined) continue;
    const c = checkValue('options', key, spec, v);
    if (NONE_AS_NEGATIVE.has(key)) out[key] = c === undefined ? -1 : c;
    else if (c !== undefined) out[key] = c;
  }
  return out;
}

const REQUEST_KEYS = ['method', 'headers', 'body', 'signal', 'timeout', 'headersTimeout', 'idleTimeout', 'priority', 'lane'];

/** Validates request options (see index.d.ts RequestOptions). */
function requestOptions(o) {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object') throw new InvalidArgumentError(`request options must be an object (got ${typeof o})`);
  for (const key of Object.keys(o)) {
    if (!REQUEST_KEYS.includes(key)) {
      throw new InvalidArgumentError(`options.${key} is not a request option (known: ${REQUEST_KEYS.join(', ')})`);
    }
  }
  return o;
}

function nativeRequestOptions(o) {
  const n = {};
  let any = false;
  for (const key of ['timeout', 'headersTimeout', 'idleTimeout']) {
    if (o[key] !== undefined && o[key] !== null) {
      n[key] = checkValue('options', key, ['ms'], o[key]);
      any = true;
    }
  }
  if (o.priority !== undefined && o.priority !== null) {
    let p = o.priority;
    if (typeof p === 'number') p = { urgency: p };
    if (typeof p !== 'object') throw fail('options', 'priority', 'must be an urgency 0..7 or { urgency, incremental, weight }');
    for (const k of Object.keys(p)) {
      if (!['urgency', 'incremental', 'weight'].includes(k)) throw fail('options', `priority.${k}`, 'is not a priority field (urgency, incremental, weight)');
    }
    if (p.urgency !== undefined) n.urgency = checkValue('options', 'priority.urgency', ['int', 0, 7], p.urgency);
    if (p.incremental !== undefined) n.incremental = checkValue('options', 'priority.incremental', ['bool'], p.incremental);
    if (p.weight !== undefined) n.weight = checkValue('options', 'priority.weight', ['int', 1, 256], p.weight);
    any = true;
  }
  if (o.lane !== undefined) {
    n.lane = checkValue('options', 'lane', ['int', 0, U32], o.lane);
    any = true;
  }
  return any ? n : undefined;
}

module.exports = { clientConfig, requestOptions, nativeRequestOptions, CLIENT_OPTION_KEYS: Object.keys(CLIENT) };
