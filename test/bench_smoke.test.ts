/**
 * Smoke test of the benchmark suite (benchmarks/run.ts): tiny shapes, one repetition, cpu only,
 * into a temporary directory. Checks that the outputs are well formed — never the timings.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BackendReport, parseArgs, runBench } from '../benchmarks/run';

const IMPLS = ['ours/forward', 'ours/train', 'autodiff/train', 'naive/forward', 'tf.layers/forward', 'tf.layers/train'];
const SHAPES = ['B2xT3xD4xH5', 'B1xT2xD3xH2'];

describe('benchmark suite smoke run', () => {
  let dir: string;
  let files: string[];
  let report: BackendReport;
  let tensorsBefore: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-bench-'));
    const opts = parseArgs(['--backend', 'cpu', '--shapes', SHAPES.join(','), '--reps', '1', '--warmup', '1', '--no-torch', '--quiet', '--out', dir]);
    await tf.setBackend('cpu');
    tensorsBefore = tf.memory().numTensors;
    const outcome = await runBench(opts);
    files = outcome.files.map((f) => path.basename(f));
    report = JSON.parse(fs.readFileSync(path.join(dir, files.find((f) => f.startsWith('cpu-') && f.endsWith('.json'))!), 'utf8'));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes <backend>-<date>.json, latest.md, latest.svg and ratios.svg', () => {
    expect(files).toEqual(expect.arrayContaining(['latest.md', 'latest.svg', 'ratios.svg']));
    expect(files.some((f) => /^cpu-\d{4}-\d{2}-\d{2}\.json$/.test(f))).toBe(true);
    for (const f of files) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  });

  it('the JSON has the machine, the backend, the matmul ceiling and a result per impl and shape', () => {
    expect(report.schema).toBe('tfjs-rnn-bench/1');
    expect(report.backend).toBe('cpu');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(typeof report.machine.cpuModel).toBe('string');
    expect(report.machine.tfjs).toBe(tf.version.tfjs);
    expect(typeof report.backendInfo.summary).toBe('string');
    for (const s of SHAPES) {
      expect(report.matmul[s].gflops).toBeGreaterThan(0);
      for (const impl of IMPLS) {
        const r = report.results.find((x) => x.shape === s && x.impl === impl);
        expect(r).toBeDefined();
        expect(r!.status).toBe('ok');
        expect(r!.ms!.reps).toBe(1);
        expect(r!.ms!.min).toBeLessThanOrEqual(r!.ms!.median);
        expect(r!.ms!.median).toBeLessThanOrEqual(r!.ms!.max);
        expect(r!.seqPerSec).toBeGreaterThan(0);
        expect(r!.gflops).toBeGreaterThan(0);
        expect(r!.fractionOfMatmul).toBeGreaterThan(0);
        expect(r!.gflopPerCall).toBeGreaterThan(0);
        expect(r!.peakBytes).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(r!.kernels!.launchesPerStep)).toBe(true);
        expect(r!.kernelsPerStepForward).toBeGreaterThan(0);
        if (r!.kind === 'train') expect(r!.kernelsPerStepBackward).toBeGreaterThan(0);
      }
    }
  });

  it('leaves no tensors behind', () => {
    expect(Object.values(report.leakedTensors).every((n) => n === 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('the markdown table has a row for every impl and shape, and the ratio rows', () => {
    const md = fs.readFileSync(path.join(dir, 'latest.md'), 'utf8');
    for (const s of SHAPES) {
      for (const impl of IMPLS) expect(md).toContain(`| ${s} | ${impl} |`);
      expect(md).toMatch(new RegExp(`\\| cpu \\| ${s} \\| [0-9.]+× \\| [0-9.]+× \\|`));
    }
  });

  it('the charts are SVG documents', () => {
    for (const f of ['latest.svg', 'ratios.svg']) {
      const svg = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg).toContain('<rect'); // bars were drawn
    }
  });

  it('rejects a malformed shape, naming what it expected', () => {
    expect(() => parseArgs(['--shapes', 'B2xT3'])).toThrow(/expected a shape S1..S4 or like B32xT250xD32xH100, got 'B2xT3'/);
  });
});
