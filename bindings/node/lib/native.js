'use strict';
// Loads the compiled addon: h2o-native.<platform>.node beside package.json (what
// `napi build --platform` writes and what the npm tarball ships), or $H2O_NATIVE_PATH.
const fs = require('node:fs');
const path = require('node:path');

function platformTag() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
    const glibc = report?.header?.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function load() {
  const root = path.join(__dirname, '..');
  const candidates = [];
  if (process.env.H2O_NATIVE_PATH) candidates.push(process.env.H2O_NATIVE_PATH);
  candidates.push(path.join(root, `h2o-native.${platformTag()}.node`), path.join(root, 'h2o-native.node'));
  for (const file of candidates) {
    if (fs.existsSync(file)) return require(file);
  }
  throw new Error(
    `h2o-native: no compiled addon for ${platformTag()} (looked for ${candidates.join(', ')}); ` +
      'run `npm run build` in bindings/node (needs the Rust toolchain)',
  );
}

module.exports = load();
module.exports.platformTag = platformTag;
