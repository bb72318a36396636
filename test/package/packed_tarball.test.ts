/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), installed into
 * a scratch project next to @tensorflow/tfjs, runs the README example there with one copy of tfjs
 * and nothing on stderr (no "already registered" kernels, no second platform, no GPU noise).
 * Needs the npm registry (packages already in npm's cache are taken from it); `npm run test:package`.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { packageInfo } from '../../src/platform/system';

const root = path.join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Every installed package under dir/node_modules (nested ones too): name → directories. */
function installedPackages(dir: string, found = new Map<string, string[]>()): Map<string, string[]> {
  const modules = path.join(dir, 'node_modules');
  if (!fs.existsSync(modules)) return found;
  for (const entry of fs.readdirSync(modules)) {
    const names = entry.startsWith('@') ? fs.readdirSync(path.join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      const pkgDir = path.join(modules, name);
      if (!fs.existsSync(path.join(pkgDir, 'package.json'))) continue;
      found.set(name, [...(found.get(name) ?? []), pkgDir]);
      installedPackages(pkgDir, found);
    }
  }
  return found;
}

let scratch: string;
let run: { status: number | null; stdout: string; stderr: string };

beforeAll(() => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-pack-'));
  const packed = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  ) as { filename: string }[];
  const tarball = path.join(tmp, packed[0].filename);

  scratch = path.join(tmp, 'app');
  fs.mkdirSync(scratch);
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '0.0.0', private: true }));
  const tfjsVersion = packageInfo('@tensorflow/tfjs')?.version;
  expect(tfjsVersion).toMatch(/^\d+\.\d+\.\d+/);
  // --omit=optional: the optional CUDA package's install script downloads libtensorflow, which
  // is not what this test is about.
  execFileSync(
    npm,
    ['install', tarball, `@tensorflow/tfjs@${tfjsVersion}`, '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );

  const example = fs.readFileSync(path.join(root, 'examples', 'readme_example.ts'), 'utf8');
  const js = ts.transpileModule(example, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  fs.writeFileSync(path.join(scratch, 'readme_example.js'), js);
  const env = { ...process.env };
  for (const k of ['TFJS_RNN_BACKEND', 'NODE_OPTIONS', 'TS_NODE_PROJECT']) delete env[k];
  const r = spawnSync(process.execPath, ['readme_example.js'], { cwd: scratch, env, encoding: 'utf8', timeout: 120000 });
  run = { status: r.status, stdout: r.stdout, stderr: r.stderr };
}, 600000);

test('the README example runs from the installed package and prints what the README says', () => {
  expect(run.status).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(4);
  expect(lines[0]).toMatch(/^backend \w+ \(/);
  // console.log as Node prints arrays: the shapes of kernel, recurrentKernel, bias, input, initialState.
  expect(lines.slice(1)).toEqual(['42', '[ 10, 3 ] [ 3, 3 ] [ 3 ] [ 8, 2, 10 ] [ 8, 3 ]', '0']);
});

test('with one copy of tfjs, and nothing on stderr', () => {
  expect(run.stderr).not.toMatch(/already registered|Platform node has already been set/);
  if (!/^backend webgpu/.test(run.stdout)) expect(run.stderr).toBe('');
  const installed = installedPackages(scratch);
  for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm']) {
    expect([name, installed.get(name)?.length]).toEqual([name, 1]);
  }
  expect(installed.get('tfjs-rnn')).toEqual([path.join(scratch, 'node_modules', 'tfjs-rnn')]);
});

test('the installed package carries its licence and its build, and no source or tests', () => {
  const dir = path.join(scratch, 'node_modules', 'tfjs-rnn');
  expect(fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  expect((JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { license: string }).license).toBe('Apache-2.0');
  expect(fs.existsSync(path.join(dir, 'dist', 'index.js'))).toBe(true);
  expect(fs.existsSync(path.join(dir, 'dist', 'index.d.ts'))).toBe(true);
  expect(fs.existsSync(path.join(dir, 'src'))).toBe(false);
  expect(fs.existsSync(path.join(dir, 'test'))).toBe(false);
});

test('no source map that points at files the package does not ship', () => {
  const dir = path.join(scratch, 'node_modules', 'tfjs-rnn');
  const maps: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.map')) maps.push(path.join(d, e.name));
    }
  };
  walk(dir);
  const unresolved = maps.flatMap((m) => (JSON.parse(fs.readFileSync(m, 'utf8')) as { sources: string[] }).sources.map((s) => path.resolve(path.dirname(m), s)).filter((s) => !fs.existsSync(s)));
  expect(unresolved).toEqual([]);
  expect(fs.readFileSync(path.join(dir, 'dist', 'index.js'), 'utf8')).not.toMatch(/sourceMappingURL/);
});
