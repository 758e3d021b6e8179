'use strict';
// h2oFetch: the fetch() calling convention over an h2o Client, returning a standard
// Response. Redirects are not followed (a 3xx is returned as is).
const { Client } = require('./client');
const { InvalidArgumentError } = require('./errors');

let defaultClient = null;

/** The client h2oFetch uses when init.client is not given (created on first use). */
function getDefaultClient() {
  if (defaultClient === null || defaultClient.closed) defaultClient = new Client();
  return defaultClient;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * fetch-compatible request over HTTP/2.
 * @param {string | URL | Request} input
 * @param {object} [init]
 * @returns {Promise<Response>}
 */
async function h2oFetch(input, init = {}) {
  init = init || {};
  let url;
  let method;
  let headers;
  let body;
  let signal;
  if (typeof input === 'string') url = input;
  else if (input instanceof URL) url = input.href;
  else if (typeof Request !== 'undefined' && input instanceof Request) {
    url = input.url;
    method = input.method;
    headers = input.headers;
    body = input.body;
    signal = input.signal;
  } else {
    throw new InvalidArgumentError('h2oFetch input must be a string, URL or Request');
  }
  if (init.method !== undefined) method = init.method;
  if (init.headers !== undefined) headers = init.headers;
  if (init.body !== undefined) body = init.body;
  if (init.signal !== undefined) signal = init.signal;
  if (init.redirect !== undefined && init.redirect !== 'manual' && init.redirect !== 'follow') {
    if (init.redirect === 'error') throw new InvalidArgumentError('h2oFetch: redirect "error" is not supported');
  }
  if (headers !== undefined && headers !== null && typeof headers === 'object' && !Array.isArray(headers) && typeof headers.entries !== 'function') {
    headers = Object.entries(headers);
  }
  if (typeof Blob !== 'undefined' && body instanceof Blob) body = Buffer.from(await body.arrayBuffer());
  const client = init.client || getDefaultClient();
  const opts = { method, headers, body, signal: signal || undefined };
  for (const k of ['timeout', 'priority']) if (init[k] !== undefined) opts[k] = init[k];
  for (const k of Object.keys(opts)) if (opts[k] === undefined) delete opts[k];
  const res = await client.request(url, opts);
  const h = new Headers();
  for (const [k, v] of res.headers.entries()) h.append(k, v);
  let stream = null;
  if (NULL_BODY.has(res.status) || method === 'HEAD') res.cancel();
  else stream = res.stream();
  const out = new Response(stream, { status: res.status, headers: h });
  Object.defineProperty(out, 'url', { value: url, enumerable: true });
  return out;
}

module.exports = { h2oFetch, getDefaultClient };
