// Packaging: `npm pack` makes a tarball that installs (no Rust needed: it ships the
// platform's .node) and works from CommonJS, ESM and TypeScript-facing metadata.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pkgRoot, startTestServer } from './helpers.mjs';

let server;
let dir;
before(async () => {
  server = await startTestServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h2o-native-pack-'));
});
after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const npm = (args, cwd) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

test('npm pack tarball installs and runs (CJS and ESM)', () => {
  const out = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], pkgRoot));
  const files = out[0].files.map((f) => f.path);
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'lib/client.js', 'package.json']) assert.ok(files.includes(f), `tarball lacks ${f}`);
  assert.ok(files.some((f) => /^h2o-native\..+\.node$/.test(f)), 'tarball ships the compiled addon');
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests in the tarball');
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
  npm(['install', path.join(dir, out[0].filename)], app);
  const url = `${server.url}/hello`;
  fs.writeFileSync(path.join(app, 'a.cjs'), `const { Client } = require('h2o-native'); const c = new Client(); c.request(${JSON.stringify(url)}).then((r) => r.text()).then((t) => { console.log('cjs', t); return c.close(); });`);
  fs.writeFileSync(path.join(app, 'b.mjs'), `import { h2oFetch, Client } from 'h2o-native'; import h2o from 'h2o-native'; const r = await h2oFetch(${JSON.stringify(url)}); console.log('esm', await r.text(), h2o.Client === Client);`);
  assert.equal(execFileSync(process.execPath, ['a.cjs'], { cwd: app, encoding: 'utf8' }).trim(), 'cjs Hello, world!');
  assert.equal(execFileSync(process.execPath, ['b.mjs'], { cwd: app, encoding: 'utf8' }).trim(), 'esm Hello, world! true');
  const pj = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'h2o-native', 'package.json'), 'utf8'));
  assert.equal(pj.types, 'index.d.ts');
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'h2o-native', 'index.d.ts')));
});
