#!/usr/bin/env node
'use strict';
// Builds the addon into h2o-native.<platform>.node (release profile).
//   node scripts/build.js              always build
//   node scripts/build.js --if-missing skip when the platform's .node is already there
//                                      (the npm tarball ships it: installs need no Rust)
// Uses @napi-rs/cli (`napi build --platform --release`) when it is installed, else cargo
// directly (e.g. `npm install ./bindings/node` from another project, where devDependencies
// are not installed) with the same result.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { platformTag } = loadTag();
const out = path.join(root, `h2o-native.${platformTag()}.node`);

function loadTag() {
  // lib/native.js exports platformTag but also loads the addon; compute it the same way here.
  return {
    platformTag() {
      const { platform, arch } = process;
      if (platform === 'linux') {
        const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
        return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
      }
      if (platform === 'win32') return `win32-${arch}-msvc`;
      return `${platform}-${arch}`;
    },
  };
}

if (process.argv.includes('--if-missing') && fs.existsSync(out)) {
  console.log(`h2o-native: using ${path.basename(out)}`);
  process.exit(0);
}

function run(cmd, args) {
  console.log(`h2o-native: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`h2o-native: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status || 1);
}

const napiBin = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'napi.cmd' : 'napi');
if (fs.existsSync(napiBin) && !process.env.H2O_NATIVE_USE_CARGO) {
  run(napiBin, ['build', '--platform', '--release', '--strip', '--js', 'false', '--dts', 'lib/native.d.ts']);
} else {
  const r = spawnSync('cargo', ['build', '--release', '--message-format=json-render-diagnostics'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 << 20,
  });
  if (r.error || r.status !== 0) {
    console.error(`h2o-native: cargo build failed${r.error ? `: ${r.error.message} (is the Rust toolchain installed?)` : ''}`);
    process.exit(1);
  }
  let lib = null;
  for (const line of r.stdout.toString().split('\n')) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line);
    if (m.reason === 'compiler-artifact' && m.target && m.target.name === 'h2o_node') {
      lib = m.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || lib;
    }
  }
  if (!lib) {
    console.error('h2o-native: cargo did not report the h2o_node library');
    process.exit(1);
  }
  fs.copyFileSync(lib, out);
  console.log(`h2o-native: wrote ${path.basename(out)}`);
}
