// h2o-native: ESM entry point (the same objects as the CommonJS one).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const h2o = require('./index.js');

export const {
  Client,
  H2oResponse,
  H2oHeaders,
  h2oFetch,
  setLogger,
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
  errorKinds,
  nativeVersion,
} = h2o;
export default h2o;
