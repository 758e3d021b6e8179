'use strict';
// setLogger: the Rust core's log events (connections, streams, pool decisions at 'debug';
// every HTTP/2 frame at 'trace') delivered to a JS function on the main thread.
const native = require('./native');

const LEVELS = ['off', 'error', 'warn', 'info', 'debug', 'trace'];
let current = null;

/**
 * Routes the core's log records up to `options.level` ('error' | 'warn' | 'info' |
 * 'debug' | 'trace'; default 'debug') to `fn({ level, target, message })`, called
 * asynchronously on the JS thread, in order. Targets: 'h2o::proto', 'h2o::proto::frame'
 * (one 'trace' record per frame sent or received, header lists decoded, credentials and
 * cookies shown as `<redacted>`), 'h2o::transport', 'h2o::pool'. The logger never keeps
 * the process alive. One logger per process: a new call replaces it; `setLogger(null)`
 * removes it, and the removed function is not called again. Levels below the chosen one
 * cost nothing in the core.
 *
 * @example
 * const { setLogger } = require('h2o-native');
 * setLogger((r) => console.error(`[${r.level}] ${r.target}: ${r.message}`), { level: 'trace' });
 *
 * @param {((record: {level: string, target: string, message: string}) => void) | null} fn
 * @param {{ level?: 'error' | 'warn' | 'info' | 'debug' | 'trace' }} [options]
 */
function setLogger(fn, options = {}) {
  if (fn !== null && fn !== undefined && typeof fn !== 'function') {
    throw new TypeError('setLogger: fn must be a function or null');
  }
  const name = options.level === undefined ? 'debug' : options.level;
  const max = LEVELS.indexOf(name);
  if (max < 1) {
    throw new TypeError(`setLogger: level must be one of ${LEVELS.slice(1).join(', ')} (got ${String(name)})`);
  }
  if (!fn) {
    current = null;
    native.setLogCallback(null, 0);
    return;
  }
  const mine = fn;
  current = mine;
  native.setLogCallback((r) => {
    // Records already queued when the logger was replaced or removed are dropped here.
    if (current !== mine) return;
    try {
      mine({ level: LEVELS[r.level] || 'trace', target: r.target, message: r.message });
    } catch (e) {
      process.emitWarning(`h2o-native: the logger threw: ${e && e.message ? e.message : e}`);
    }
  }, max);
}

module.exports = { setLogger };
