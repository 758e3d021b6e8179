'use strict';
// A read-only, case-insensitive Headers-like view of a response's header (or trailer)
// block. The addon hands over one latin1 string `name\0value\0...` per block; it is split
// into pairs only when first read.

const EMPTY = '';

/** Response header fields: `get`, `has`, `getAll`, `getSetCookie`, `entries`, iteration. */
class H2oHeaders {
  /** @param {string | Array<[string, string]>} [raw] */
  constructor(raw = EMPTY) {
    this._raw = raw;
    this._pairs = null;
  }

  /** @returns {Array<[string, string]>} */
  _list() {
    if (this._pairs === null) {
      if (Array.isArray(this._raw)) {
        this._pairs = this._raw.map(([n, v]) => [String(n).toLowerCase(), String(v)]);
      } else {
        const parts = this._raw.split('\0');
        const pairs = [];
        for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([parts[i], parts[i + 1]]);
        this._pairs = pairs;
      }
      this._raw = null;
    }
    return this._pairs;
  }

  /** The values of `name` joined with `', '` (as fetch does), or null. */
  get(name) {
    const all = this.getAll(name);
    return all.length === 0 ? null : all.join(', ');
  }

  /** Every value of `name`, in order. */
  getAll(name) {
    const n = String(name).toLowerCase();
    const out = [];
    for (const [k, v] of this._list()) if (k === n) out.push(v);
    return out;
  }

  /** The `set-cookie` values, unjoined. */
  getSetCookie() {
    return this.getAll('set-cookie');
  }

  /** Whether `name` is present. */
  has(name) {
    const n = String(name).toLowerCase();
    return this._list().some(([k]) => k === n);
  }

  /** Number of fields (repeated names count each time). */
  get size() {
    return this._list().length;
  }

  /** `[name, value]` pairs in received order (names lowercase; repeats not joined). */
  *entries() {
    yield* this._list().map((p) => [p[0], p[1]]);
  }

  /** Field names in received order. */
  *keys() {
    for (const [k] of this._list()) yield k;
  }

  /** Field values in received order. */
  *values() {
    for (const [, v] of this._list()) yield v;
  }

  /** Calls `fn(value, name, headers)` for each field. */
  forEach(fn, thisArg) {
    for (const [k, v] of this._list()) fn.call(thisArg, v, k, this);
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  /** A plain object; repeated names are joined with `', '`. */
  toJSON() {
    const o = {};
    for (const [k, v] of this._list()) o[k] = k in o ? `${o[k]}, ${v}` : v;
    return o;
  }
}

module.exports = { H2oHeaders };
