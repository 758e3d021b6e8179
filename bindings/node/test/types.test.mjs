// index.d.ts compiles under `strict` and describes the API as used in test/types/usage.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pkgRoot } from './helpers.mjs';

const tsc = path.join(pkgRoot, 'node_modules', 'typescript', 'bin', 'tsc');
test('TypeScript: index.d.ts type-checks a usage sample', { skip: fs.existsSync(tsc) ? false : 'typescript not installed' }, () => {
  execFileSync(process.execPath, [tsc, '-p', path.join(pkgRoot, 'test', 'types', 'tsconfig.json')], { stdio: 'pipe' });
});
