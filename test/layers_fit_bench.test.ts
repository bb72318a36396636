/**
 * Smoke test of `npm run bench -- --fit` (benchmarks/fit.ts): tiny shape, one repetition, cpu,
 * into a temporary directory. Checks the flags and that the outputs are well formed — never the
 * timings.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from '../benchmarks/cli';
import { FitReport, runFitBench } from '../benchmarks/fit';

describe('npm run bench -- --fit', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-fit-bench-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--fit defaults to the gated cells; --cell still chooses', () => {
    expect(parseArgs(['--fit'])).toMatchObject({ fit: true, cells: ['lstm', 'gru'] });
    expect(parseArgs(['--fit', '--cell', 'simple'])).toMatchObject({ fit: true, cells: ['simple'] });
    expect(parseArgs([])).toMatchObject({ fit: false, cells: ['simple'] });
  });

  it('times ours and the stock layer for each cell and writes the JSON and the table', async () => {
    const opts = parseArgs(['--fit', '--cell', 'simple,lstm,gru', '--backend', 'cpu', '--shapes', 'B2xT3xD2xH3', '--reps', '1', '--warmup', '1', '--quiet', '--out', dir]);
    const files = await runFitBench(opts);
    expect(files.map((f) => path.basename(f))).toEqual([expect.stringMatching(/^fit-cpu-\d{4}-\d{2}-\d{2}\.json$/), 'latest-fit-cpu.md']);
    const report = JSON.parse(fs.readFileSync(files[0], 'utf8')) as FitReport;
    expect(report.schema).toBe('tfjs-rnn-bench-fit/1');
    expect(report.results.map((r) => [r.cell, r.shape, r.batches, r.ours.reps, r.stock.reps])).toEqual([
      ['simple', 'B2xT3xD2xH3', 4, 1, 1],
      ['lstm', 'B2xT3xD2xH3', 4, 1, 1],
      ['gru', 'B2xT3xD2xH3', 4, 1, 1],
    ]);
    for (const r of report.results) expect(r.speedup).toBeCloseTo(r.stock.median / r.ours.median, 6);
    expect(Object.values(report.leakedTensors)).toEqual([0, 0, 0]);
    const md = fs.readFileSync(files[1], 'utf8');
    expect(md).toMatch(/\| lstm \| B2 T3 D2 H3 \| \d+ \(\d+–\d+\) \| \d+ \(\d+–\d+\) \| \*\*[\d.]+×\*\* \|/);
    expect(tf.getBackend()).toBe('cpu');
  });
});
