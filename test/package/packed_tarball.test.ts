/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), installed into
 * a scratch project next to @tensorflow/tfjs, runs the README example there with one copy of tfjs
 * and nothing on stderr (no "already registered" kernels, no second platform, no GPU noise); it
 * brings none of the training app's packages (vega, vega-lite, cli-progress) and no webgpu (an
 * optional peer), and `tfjs-rnn/testing` resolves there, for Node and for TypeScript.
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
let entriesRun: { status: number | null; stdout: string; stderr: string };
let fileRun: { status: number | null; stdout: string; stderr: string };
let stockRun: { status: number | null; stdout: string; stderr: string };

/**
 * With the package imported and nothing else: model.save('file://…') and tf.loadLayersModel('file://…')
 * of a model of our layers, then saveForStock for the stock-only program below. Prints the loaded
 * classes and the largest prediction difference.
 */
const FILE_IO = `
const tf = require('@tensorflow/tfjs');
const { layers, saveForStock } = require('tfjs-rnn');
(async () => {
  await tf.setBackend('cpu');
  const m = tf.sequential({ layers: [layers.lstm({ units: 4, inputShape: [3, 2] }), tf.layers.dense({ units: 1 })] });
  const x = tf.tensor3d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, 0.8, -0.9, 1.0, 0.2, -0.3], [2, 3, 2]);
  await m.save('file://saved');
  const back = await tf.loadLayersModel('file://saved/model.json');
  const diff = tf.max(tf.abs(tf.sub(m.predict(x), back.predict(x)))).dataSync()[0];
  console.log(back.layers.map((l) => l.getClassName()).join(' '), diff);
  await saveForStock(m, 'file://stock');
  require('fs').writeFileSync('expected.json', JSON.stringify(Array.from(m.predict(x).dataSync())));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** A program without tfjs-rnn (it never requires it) loads what saveForStock wrote, from the files. */
const STOCK_ONLY = `
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
(async () => {
  await tf.setBackend('cpu');
  const json = JSON.parse(fs.readFileSync('stock/model.json', 'utf8'));
  const weights = fs.readFileSync('stock/weights.bin');
  const m = await tf.loadLayersModel(tf.io.fromMemory({ ...json, weightSpecs: json.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length) }));
  const x = tf.tensor3d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, 0.8, -0.9, 1.0, 0.2, -0.3], [2, 3, 2]);
  const expected = JSON.parse(fs.readFileSync('expected.json', 'utf8'));
  const got = Array.from(m.predict(x).dataSync());
  console.log(m.layers.map((l) => l.getClassName()).join(' '), Math.max(...got.map((v, i) => Math.abs(v - expected[i]))));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** Both entry points from the installed package: the face's value count, and the oracles at tfjs-rnn/testing. */
const ENTRIES = `
const face = require('tfjs-rnn');
const testing = require('tfjs-rnn/testing');
const names = ['simpleRNNReferenceForward', 'lstmReferenceForward', 'gruReferenceBackward', 'finiteDifferenceGrad', 'autodiffLSTM', 'seededTensor'];
console.log(Object.keys(face).filter((k) => k !== '__esModule').length, names.map((n) => typeof testing[n]).join(' '), typeof face.autodiffLSTM);
`;

/** TypeScript resolves both entry points from the installed package under each module resolver. */
const TYPED_USE = `
import { layers, SimpleRNN } from 'tfjs-rnn';
import { lstmReferenceForward, seededTensor } from 'tfjs-rnn/testing';
export const used: [typeof layers.lstm, typeof SimpleRNN, typeof lstmReferenceForward, typeof seededTensor] = [layers.lstm, SimpleRNN, lstmReferenceForward, seededTensor];
`;

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

  const runScript = (name: string, source: string): { status: number | null; stdout: string; stderr: string } => {
    fs.writeFileSync(path.join(scratch, name), source);
    const s = spawnSync(process.execPath, [name], { cwd: scratch, env, encoding: 'utf8', timeout: 120000 });
    return { status: s.status, stdout: s.stdout, stderr: s.stderr };
  };
  fileRun = runScript('file_io.js', FILE_IO);
  stockRun = runScript('stock_only.js', STOCK_ONLY);
  entriesRun = runScript('entries.js', ENTRIES);
  fs.writeFileSync(path.join(scratch, 'typed_use.ts'), TYPED_USE);
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

test("model.save('file://…') and tf.loadLayersModel('file://…') round-trip with only @tensorflow/tfjs and the package", () => {
  // stderr holds at most tfjs's "install our node backend" notice for the cpu backend.
  expect(fileRun.stderr).not.toMatch(/Error|already registered|handler/i);
  expect(fileRun.status).toBe(0);
  const [classes, diff] = [fileRun.stdout.trim().split(' ').slice(0, -1).join(' '), Number(fileRun.stdout.trim().split(' ').pop())];
  expect(classes).toBe('TfjsRnnLSTM Dense');
  expect(diff).toBe(0);
  expect(fs.readdirSync(path.join(scratch, 'saved')).sort()).toEqual(['model.json', 'weights.bin']);
});

test('a program without tfjs-rnn loads what saveForStock wrote, as stock layers that predict the same', () => {
  expect(stockRun.stderr).not.toMatch(/Error|already registered/i);
  expect(stockRun.status).toBe(0);
  const words = stockRun.stdout.trim().split(' ');
  expect(words.slice(0, -1)).toEqual(['LSTM', 'Dense']);
  expect(Number(words[words.length - 1])).toBeLessThanOrEqual(1e-6);
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

test('installed beside @tensorflow/tfjs it brings no app-only package and no webgpu (an optional peer)', () => {
  const installed = installedPackages(scratch);
  for (const name of ['vega', 'vega-lite', 'cli-progress', 'webgpu']) expect([name, installed.get(name)]).toEqual([name, undefined]);
  // the check can see what is there: the package's own dependencies are installed
  for (const name of ['seedrandom', 'write-file-atomic', 'h5wasm']) expect([name, installed.has(name)]).toEqual([name, true]);
  const manifest = JSON.parse(fs.readFileSync(path.join(scratch, 'node_modules', 'tfjs-rnn', 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };
  // the library's own: seeded draws, atomic writes, and the Keras file readers (HDF5, zip in and out)
  expect(Object.keys(manifest.dependencies).sort()).toEqual(['fflate', 'h5wasm', 'seedrandom', 'write-file-atomic', 'yauzl']);
  expect(manifest.peerDependenciesMeta.webgpu).toEqual({ optional: true });
});

test("require('tfjs-rnn/testing') has the oracles, and require('tfjs-rnn') at most 40 values without them", () => {
  expect(entriesRun.stderr).toBe('');
  expect(entriesRun.status).toBe(0);
  const [count, ...kinds] = entriesRun.stdout.trim().split(' ');
  expect(Number(count)).toBeGreaterThan(20);
  expect(Number(count)).toBeLessThanOrEqual(40);
  expect(kinds).toEqual(['function', 'function', 'function', 'function', 'function', 'function', 'undefined']);
});

test.each([
  ['node10', { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
  ['node16', { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
  ['bundler', { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }],
])("TypeScript (moduleResolution %s) resolves 'tfjs-rnn' and 'tfjs-rnn/testing' to the package's declarations", (_, resolution) => {
  const file = path.join(scratch, 'typed_use.ts');
  const options: ts.CompilerOptions = { ...resolution, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const dist = path.join(scratch, 'node_modules', 'tfjs-rnn', 'dist');
  const resolved = (spec: string): string | undefined => ts.resolveModuleName(spec, file, options, ts.sys).resolvedModule?.resolvedFileName;
  expect([resolved('tfjs-rnn'), resolved('tfjs-rnn/testing')]).toEqual([path.join(dist, 'index.d.ts'), path.join(dist, 'testing.d.ts')]);
  const program = ts.createProgram([file], options);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(errors).toEqual([]);
});
