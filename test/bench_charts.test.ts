/**
 * The bench chart of sequences per second: one log axis shared by every panel (a bar's height
 * means the same speed in every panel, so panels compare), and shapes named with their dimensions.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { shapeLabel, writeCharts } from '../benchmarks/charts';
import type { BackendReport, Result } from '../benchmarks/types';

/** The heights of the bars drawn in a vega SVG ('M x,y h w v height h -w Z' paths), in drawing order. */
function barHeights(svg: string): number[] {
  return [...svg.matchAll(/aria-roledescription="bar" d="M[-\d.e]+,[-\d.e]+h[-\d.e]+v([-\d.e]+)h/g)].map((m) => Math.abs(Number(m[1])));
}

function result(backend: string, shape: string, dims: number[], impl: string, seqPerSec: number): Result {
  const [B, T, D, H] = dims;
  const [family, kind] = impl.split('/') as [string, 'forward' | 'train'];
  return { backend, shape, B, T, D, H, impl, family, kind, what: impl, status: 'ok', seqPerSec, ms: { median: 1000 / seqPerSec } as Result['ms'], gflopPerCall: 1 };
}

function report(backend: string, results: Result[]): BackendReport {
  return { backend, cell: 'simple', date: '2026-12-04', results, matmul: { S1: {}, S2: {} } } as unknown as BackendReport;
}

describe('the sequences-per-second chart', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-charts-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('one shared log axis: equal speeds draw equal bars in every panel', async () => {
    // Each panel: ours/forward at 100 seq/s between naive at 1 and tf.layers at 1e3 or 1e5: with a
    // scale per panel the larger top would squeeze the 100 bar of the second panel.
    const s1 = [1, 100, 32, 64];
    const s2 = [32, 250, 32, 100];
    const reports = [
      report('cpu', [
        ...[['ours/forward', 100], ['naive/forward', 1], ['tf.layers/forward', 1e3]].map(([impl, v]) => result('cpu', 'S1', s1, impl as string, v as number)),
        ...[['ours/forward', 100], ['naive/forward', 1], ['tf.layers/forward', 1e5]].map(([impl, v]) => result('cpu', 'S2', s2, impl as string, v as number)),
      ]),
    ];
    const [latest, ratios] = await writeCharts(reports, dir, '');
    const svg = fs.readFileSync(latest, 'utf8');
    const heights = barHeights(svg);
    expect(heights.length).toBe(6);
    const hundreds = heights.filter((_, i) => i % 3 === 0); // ours/forward, first in each panel
    expect(hundreds[0]).toBeGreaterThan(0);
    expect(Math.abs(hundreds[0] - hundreds[1])).toBeLessThan(1e-6);
    expect(heights[5]).toBeGreaterThan(heights[2]); // 1e5 draws taller than 1e3 on the one axis
    expect(svg).toContain('one log axis shared by every panel');
    for (const label of ['S1: B=1 T=100 D=32 H=64', 'S2: B=32 T=250 D=32 H=100']) {
      expect(svg).toContain(label);
      expect(fs.readFileSync(ratios, 'utf8')).toContain(label);
    }
  });

  it('a custom shape is named by its dimensions once', () => {
    expect(shapeLabel({ shape: 'B2xT3xD4xH5', B: 2, T: 3, D: 4, H: 5 })).toBe('B=2 T=3 D=4 H=5');
    expect(shapeLabel({ shape: 'S3', B: 64, T: 100, D: 128, H: 256 })).toBe('S3: B=64 T=100 D=128 H=256');
  });
});
