#!/usr/bin/env node
/**
 * npm's `prepare` step: it runs on an install from git (which gets no dist/, since dist/ is not
 * committed), on `npm pack` / `npm publish`, and on `npm install` / `npm ci` in this checkout.
 * Builds dist/ afresh, so no file of a moved or deleted module is left in it to be packed.
 * Without TypeScript (an install that omitted devDependencies) there is nothing to build with:
 * it says so and succeeds. Plain JavaScript, because ts-node may not be installed either.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  process.stderr.write('prepare: typescript is not installed (devDependencies omitted): dist/ not rebuilt\n');
  process.exit(0);
}
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write(`prepare: expected tsc -p tsconfig.build.json to succeed, got exit ${r.status ?? r.signal}\n`);
  process.exit(1);
}
