/**
 * Smoke test of the benchmark suite (benchmarks/bench.ts): tiny shapes, one repetition, cpu only,
 * into a temporary directory; SimpleRNN with every family, and one gated cell. Checks that the
 * outputs are well formed — never the timings.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { runBench } from '../benchmarks/bench';
import { CELLS } from '../benchmarks/cells';
import { DEFAULT_OUT, parseArgs } from '../benchmarks/cli';
import type { BackendReport, BenchOutcome } from '../benchmarks/types';

const ALL_IMPLS = ['ours/forward', 'ours/train', 'autodiff/train', 'naive/forward', 'tf.layers/forward', 'tf.layers/train', 'layer/forward', 'layer/train'];
const SHAPES = ['B2xT3xD4xH5', 'B1xT2xD3xH2'];

/** The ids of the implementations that exist for a cell (no "ours" rows without our class). */
const implsOf = (cell: keyof typeof CELLS): string[] => ALL_IMPLS.filter((id) => CELLS[cell].ours !== undefined || !id.startsWith('ours/'));

async function smokeRun(dir: string, extra: string[]): Promise<{ outcome: BenchOutcome; files: string[] }> {
  const opts = parseArgs(['--backend', 'cpu', '--reps', '1', '--warmup', '1', '--no-torch', '--quiet', '--out', dir, ...extra]);
  const outcome = await runBench(opts);
  return { outcome, files: outcome.files.map((f) => path.basename(f)) };
}

function readReport(dir: string, files: string[], pattern: RegExp): BackendReport {
  const name = files.find((f) => pattern.test(f));
  expect(name).toBeDefined();
  return JSON.parse(fs.readFileSync(path.join(dir, name!), 'utf8')) as BackendReport;
}

/** The heights of the bars drawn in a vega SVG ('M x,y h w v height h -w Z' paths). */
function barHeights(svg: string): number[] {
  return [...svg.matchAll(/aria-roledescription="bar" d="M[-\d.e]+,[-\d.e]+h[-\d.e]+v([-\d.e]+)h/g)].map((m) => Math.abs(Number(m[1])));
}

describe('benchmark suite smoke run, SimpleRNN', () => {
  let dir: string;
  let files: string[];
  let report: BackendReport;
  let tensorsBefore: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-bench-'));
    await tf.setBackend('cpu');
    tensorsBefore = tf.memory().numTensors;
    ({ files } = await smokeRun(dir, ['--shapes', SHAPES.join(',')]));
    report = readReport(dir, files, /^cpu-\d{4}-\d{2}-\d{2}\.json$/);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes <backend>-<date>.json, latest.md, latest.svg and ratios.svg', () => {
    expect(files).toEqual(expect.arrayContaining(['latest.md', 'latest.svg', 'ratios.svg']));
    expect(files.some((f) => /^cpu-\d{4}-\d{2}-\d{2}\.json$/.test(f))).toBe(true);
    for (const f of files) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  });

  it('the JSON has the machine, the backend, the cell, the matmul ceiling and a result per impl and shape', () => {
    expect(report.schema).toBe('tfjs-rnn-bench/1');
    expect(report.backend).toBe('cpu');
    expect(report.cell).toBe('simple');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(typeof report.machine.cpuModel).toBe('string');
    expect(report.machine.tfjs).toBe(tf.version.tfjs);
    expect(typeof report.backendInfo.summary).toBe('string');
    for (const s of SHAPES) {
      expect(report.matmul[s].gflops).toBeGreaterThan(0);
      for (const impl of ALL_IMPLS) {
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

  it('counts the forward FLOPs as 2·B·T·(D + H)·H and the training step as 2·B·T·H·(2·D + 3·H)', () => {
    const r = (impl: string): number => report.results.find((x) => x.shape === 'B2xT3xD4xH5' && x.impl === impl)!.gflopPerCall * 1e9;
    expect(r('ours/forward')).toBeCloseTo(2 * 2 * 3 * (4 + 5) * 5, 6);
    expect(r('tf.layers/train')).toBeCloseTo(2 * 2 * 3 * 5 * (2 * 4 + 3 * 5), 6);
  });

  it('leaves no tensors behind', () => {
    expect(Object.values(report.leakedTensors).every((n) => n === 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('the markdown table has a row for every impl and shape, and the ratio rows', () => {
    const md = fs.readFileSync(path.join(dir, 'latest.md'), 'utf8');
    expect(md).toMatch(/^# tfjs-rnn benchmark: SimpleRNN, /);
    for (const s of SHAPES) {
      for (const impl of ALL_IMPLS) expect(md).toContain(`| ${s} | ${impl} |`);
      expect(md).toMatch(new RegExp(`\\| cpu \\| ${s} \\| [0-9.]+× \\| [0-9.]+× \\|`));
    }
  });

  it('the charts are SVG documents with their title and a visible bar per result', () => {
    const ok = report.results.filter((r) => r.status === 'ok').length;
    for (const [f, title, bars] of [['latest.svg', 'tfjs-rnn SimpleRNN: sequences per second', ok], ['ratios.svg', 'ours vs tf.layers.simpleRNN', 2 * SHAPES.length]] as const) {
      const svg = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg).toContain(title);
      const heights = barHeights(svg);
      expect(heights).toHaveLength(bars);
      for (const h of heights) expect(h).toBeGreaterThan(0);
    }
  });
});

describe('benchmark suite smoke run, a gated cell', () => {
  let dir: string;
  let files: string[];
  let report: BackendReport;
  const shape = 'B2xT3xD4xH5';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-bench-'));
    await tf.setBackend('cpu');
    ({ files } = await smokeRun(dir, ['--cell', 'lstm', '--shapes', shape, '--quick']));
    report = readReport(dir, files, /^cpu-\d{4}-\d{2}-\d{2}-lstm-quick\.json$/);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes its files with the cell in their names', () => {
    expect(files).toEqual(expect.arrayContaining(['latest-lstm-quick.md', 'latest-lstm-quick.svg', 'ratios-lstm-quick.svg']));
  });

  it('runs every family that exists for the cell, with the gate count in the FLOPs', () => {
    expect(report.cell).toBe('lstm');
    expect(report.results.map((r) => r.impl).sort()).toEqual(implsOf('lstm').sort());
    for (const r of report.results) {
      expect(r.status).toBe('ok');
      expect(r.kernelsPerStepForward).toBeGreaterThan(0);
    }
    const fwd = report.results.find((r) => r.kind === 'forward')!;
    expect(fwd.gflopPerCall * 1e9).toBeCloseTo(2 * 2 * 3 * (4 + 5) * 4 * 5, 6);
    expect(Object.values(report.leakedTensors)).toEqual([0]);
  });

  it('names the stock layer and, when there is no class of ours, says so in latest.md', () => {
    const md = fs.readFileSync(path.join(dir, 'latest-lstm-quick.md'), 'utf8');
    expect(md).toMatch(/^# tfjs-rnn benchmark: LSTM, .* \(quick\)/);
    expect(md).toContain("tf.layers.lstm (recurrentActivation 'sigmoid')");
    expect(md).toContain('`npm run bench -- --cell lstm --quick --backend cpu');
    if (CELLS.lstm.ours === undefined) expect(md).toContain('ours: not run');
  });
});

describe('benchmark command line', () => {
  it('writes to the ignored results folder by default, not to the committed reference runs', () => {
    expect(parseArgs([]).outDir).toBe(DEFAULT_OUT);
    expect(path.relative(path.join(__dirname, '..'), DEFAULT_OUT)).toBe(path.join('benchmarks', 'results', 'local'));
    const ignored = fs.readFileSync(path.join(__dirname, '..', '.gitignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toContain('benchmarks/results/local/');
  });

  it('takes a list of cells and checks each', () => {
    expect(parseArgs(['--cell', 'gru,lstm']).cells).toEqual(['gru', 'lstm']);
    expect(() => parseArgs(['--cell', 'rnn'])).toThrow(/expected --cell from simple,lstm,gru, got 'rnn'/);
  });

  it('rejects a malformed shape, naming what it expected', () => {
    expect(() => parseArgs(['--shapes', 'B2xT3'])).toThrow(/expected a shape S1..S5 or like B32xT250xD32xH100, got 'B2xT3'/);
  });

  it('rejects an unknown option, listing the known ones', () => {
    expect(() => parseArgs(['--shape', 'S1'])).toThrow(/unknown option --shape; expected one of --backend --cell --shapes/);
  });
});
