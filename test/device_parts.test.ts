/**
 * The device bundle's pieces that need no GPU and no download: which node_modules files the
 * closure takes (a nested package, a dist/cjs/package.json, an unresolvable optional require),
 * and the report written from what the stages left (a stage cut off by its time guard keeps what
 * it finished and is named as timed out; a stage that never ran is named too).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildReport, writeReport } from '../benchmarks/device/gpu_report';
import { moduleClosure } from '../benchmarks/device/bundle_files';
import { PartWriter } from '../benchmarks/device/parts';
import type { ProofResult } from '../benchmarks/device/proofs';

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-device-parts-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

test('the closure takes the reached files with every package.json up to their package root, nothing else', () => {
  const root = path.join(work, 'root');
  const nm = path.join(root, 'node_modules');
  write(path.join(nm, 'a', 'package.json'), '{"name":"a","main":"index.js"}');
  write(path.join(nm, 'a', 'index.js'), "const b = require('b'); require('./lib/x'); try { require('optional-missing'); } catch {}");
  write(path.join(nm, 'a', 'lib', 'x.js'), "module.exports = require('path');");
  write(path.join(nm, 'a', 'unused.js'), "require('c');");
  write(path.join(nm, 'a', 'node_modules', 'b', 'package.json'), '{"name":"b","main":"dist/cjs/index.js"}');
  write(path.join(nm, 'a', 'node_modules', 'b', 'dist', 'cjs', 'package.json'), '{"type":"commonjs"}');
  write(path.join(nm, 'a', 'node_modules', 'b', 'dist', 'cjs', 'index.js'), 'module.exports = 1;');
  write(path.join(nm, 'c', 'package.json'), '{"name":"c","main":"index.js"}');
  write(path.join(nm, 'c', 'index.js'), 'module.exports = 2;');
  write(path.join(nm, '@s', 'd', 'package.json'), '{"name":"@s/d","main":"main.js"}');
  write(path.join(nm, '@s', 'd', 'main.js'), 'export const d = 1;');
  const entry = path.join(work, 'app', 'entry.js');
  write(entry, "require('a'); import('node:fs');");

  const { files, unresolved } = moduleClosure(root, [entry], ['@s/d']);
  expect(files).toEqual([
    'node_modules/@s/d/main.js',
    'node_modules/@s/d/package.json',
    'node_modules/a/index.js',
    'node_modules/a/lib/x.js',
    'node_modules/a/node_modules/b/dist/cjs/index.js',
    'node_modules/a/node_modules/b/dist/cjs/package.json',
    'node_modules/a/node_modules/b/package.json',
    'node_modules/a/package.json',
  ]);
  expect(unresolved).toEqual(['optional-missing']);
});

const proof = (cell: 'simple' | 'lstm', pass: boolean): ProofResult => ({
  cell, proof: 'parity', shape: 'B1xT1xD1xH1', errors: { sequence: pass ? 1e-7 : 1e-3 }, worst: pass ? 1e-7 : 1e-3, pass,
});

test('a stage stopped by its time guard keeps its finished items and is reported as timed out', () => {
  const proofs = new PartWriter<ProofResult>(work, 'proofs');
  proofs.part.backendDetails = { adapter: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', dawnBackend: 'vulkan', isSoftware: false } };
  proofs.add(proof('simple', true));
  fs.writeFileSync(path.join(work, 'parts', 'proofs.rc'), '124\n');

  const r = writeReport(work);
  expect(r.adapterName).toBe('NVIDIA H200 (nvidia hopper, Dawn vulkan, hardware)');
  expect(r.stages.map((s) => [s.stage, s.status])).toEqual([['doctor', 'not run'], ['proofs', 'timed out'], ['bench', 'not run']]);
  expect(r.proofs).toMatchObject({ total: 1, passed: 1, allPassed: false });
  const md = fs.readFileSync(path.join(work, 'gpu-report.md'), 'utf8');
  expect(md).toContain('| proofs | timed out | 124 |');
  expect(md).toContain('**Adapter:** NVIDIA H200');
});

test('a finished stage with a failed proof is not all passed; a stage that threw says why', () => {
  const proofs = new PartWriter<ProofResult>(work, 'proofs');
  proofs.add(proof('simple', true));
  proofs.add(proof('lstm', false));
  proofs.part.finishedAt = new Date().toISOString();
  proofs.save();
  const bench = new PartWriter<never>(work, 'bench');
  bench.part.error = 'requestDevice did not finish within 20000 ms';
  bench.save();
  fs.writeFileSync(path.join(work, 'parts', 'bench.rc'), '2\n');

  const r = buildReport(work);
  expect(r.proofs).toMatchObject({ total: 2, passed: 1, allPassed: false, worst: 1e-3 });
  expect(r.stages[1].status).toBe('finished');
  expect(r.stages[2]).toMatchObject({ status: 'failed', exitCode: 2, error: 'requestDevice did not finish within 20000 ms' });
  expect(r.adapterName).toBeUndefined();
});
