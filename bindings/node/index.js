'use strict';
// h2o-native: HTTP/2 client for Node.js over the Rust h2o core (CommonJS entry point).
const { Client, H2oResponse } = require('./lib/client');
const { H2oHeaders } = require('./lib/headers');
const { h2oFetch } = require('./lib/fetch');
const errors = require('./lib/errors');
const native = require('./lib/native');
const { setLogger } = require('./lib/log');

module.exports = {
  Client,
  H2oResponse,
  H2oHeaders,
  h2oFetch,
  setLogger,
  ...errors,
  errorKinds: native.errorKinds,
  nativeVersion: native.nativeVersion,
};
delete module.exports.fromNative;
delete module.exports.fromThrown;
