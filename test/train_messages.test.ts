/**
 * What a run tells its user: the closing line compares the held-out result with the baseline in
 * words that are right on either side of it (a run that did not beat the baseline never reads
 * "below the baseline"); the loss plot's dashed bar line has its legend entry; the gradient-flow
 * plot labels its log axis in one format and marks, rather than drops, norms a log axis cannot show.
 */
import * as fs from 'fs';
import * as path from 'path';
import { gradFlowSVG, lossCurveSVG } from '../src/train/plots';
import type { QualityBar } from '../src/train/tasks/task';
import { resultMessage } from '../src/train/summary';
import { tempDir, trainInProcess } from './train_helpers';

const lossBar: QualityBar = { metric: 'loss', direction: 'below', value: 0.0333, baseline: 0.1667, text: 'held-out MSE below 0.0333' };
const accuracyBar: QualityBar = { metric: 'accuracy', direction: 'above', value: 0.8, baseline: 0.512, text: 'held-out accuracy above 0.80' };

describe('the closing line', () => {
  const cases: Array<[string, QualityBar, number, number | undefined, boolean, string]> = [
    ['passed, far below the baseline', lossBar, 0.0025, undefined, true, 'held-out loss 0.00250, 66.7× below the baseline 0.167; passed the bar: held-out MSE below 0.0333'],
    ['three significant digits, not "0.0001"', lossBar, 0.000104, undefined, true, 'held-out loss 0.000104, 1603× below the baseline 0.167; passed the bar: held-out MSE below 0.0333'],
    ['not reached, above the baseline', lossBar, 0.1878, undefined, false, 'held-out loss 0.188, 1.13× above the baseline 0.167; did not reach the bar: held-out MSE below 0.0333'],
    ['not reached, far above the baseline', lossBar, 0.9296, undefined, false, 'held-out loss 0.930, 5.58× above the baseline 0.167; did not reach the bar: held-out MSE below 0.0333'],
    ['not reached, though below the baseline', lossBar, 0.1, undefined, false, 'held-out loss 0.100, 1.67× below the baseline 0.167; did not reach the bar: held-out MSE below 0.0333'],
    ['just below the baseline: a percentage, not "1.0×"', { ...lossBar, value: 3.06, baseline: 3.06 }, 3.0, undefined, true, 'held-out loss 3.00, 1.96% below the baseline 3.06; passed the bar: held-out MSE below 0.0333'],
    ['just above the baseline', { ...lossBar, value: 3.06, baseline: 3.06 }, 3.1, undefined, false, 'held-out loss 3.10, 1.31% above the baseline 3.06; did not reach the bar: held-out MSE below 0.0333'],
    ['on the baseline', lossBar, 0.1667, undefined, false, 'held-out loss 0.167, equal to the baseline 0.167; did not reach the bar: held-out MSE below 0.0333'],
    ['an accuracy bar, passed', accuracyBar, 0.05, 0.992, true, 'held-out loss 0.0500, accuracy 0.992 against the baseline 0.512; passed the bar: held-out accuracy above 0.80'],
    ['an accuracy bar, not reached', accuracyBar, 0.69, 0.5, false, 'held-out loss 0.690, accuracy 0.500 against the baseline 0.512; did not reach the bar: held-out accuracy above 0.80'],
  ];
  for (const [what, bar, loss, accuracy, passed, message] of cases) {
    it(what, () => expect(resultMessage(bar, loss, accuracy, passed)).toBe(message));
  }

  it('a real run that does not beat the baseline says so', async () => {
    const root = tempDir('message');
    const { result } = await trainInProcess(['--task', 'adding', '--seq-len', '5', '--units', '3', '--batch-size', '4', '--steps', '3', '--out', path.join(root, 'run')]);
    expect(result.passed).toBe(false);
    expect(result.evalLoss).toBeGreaterThan(result.bar.baseline);
    expect(result.message).toMatch(/^held-out loss \d\.\d{2,3}, \d+\.\d+× above the baseline 0\.\d{3}; did not reach the bar: /);
    expect(result.message).not.toMatch(/\([^)]*\(/); // the bar's own words are not nested in parentheses
    expect(result.message.split(';')[0]).not.toMatch(/\d\.\d{4}/); // three significant digits
    fs.rmSync(root, { recursive: true, force: true });
  });
});

/** The text of each label of the axis whose aria-label starts with `axis`. */
function axisLabels(svg: string, axis: 'X-axis' | 'Y-axis'): string[] {
  const start = svg.indexOf(`aria-label="${axis}`);
  expect(start).toBeGreaterThan(0);
  const group = svg.slice(start, svg.indexOf('role-axis-title', start));
  const labels = group.slice(group.indexOf('role-axis-label'));
  return [...labels.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** Each legend entry: its label and its symbol's dash pattern. */
function legend(svg: string): Array<{ label: string; dash: string | null }> {
  return [...svg.matchAll(/role-legend-symbol"[^>]*><path ([^>]*)\/><\/g><g class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]*)<\/text>/g)].map((m) => ({
    label: m[2],
    dash: /stroke-dasharray="([^"]*)"/.exec(m[1])?.[1] ?? null,
  }));
}

describe('plots', () => {
  const points = Array.from({ length: 80 }, (_, i) => ({ step: i + 1, loss: 0.3 * Math.exp(-i / 15) + 0.001, evalLoss: i % 20 === 19 ? 0.3 * Math.exp(-i / 15) + 0.002 : undefined }));

  it('the loss plot: the dashed bar line has a legend entry, dashed like the line', async () => {
    const svg = await lossCurveSVG(points, 'loss', { value: 0.0333, label: 'bar (0.0333)' });
    expect(legend(svg)).toEqual([
      { label: 'training batch', dash: '1,0' },
      { label: 'held-out', dash: '1,0' },
      { label: 'bar (0.0333)', dash: '4,4' },
    ]);
  });

  it('the loss plot without a bar (accuracy tasks) has no bar entry', async () => {
    expect(legend(await lossCurveSVG(points, 'loss')).map((e) => e.label)).toEqual(['training batch', 'held-out']);
  });

  it('log axes label every tick in one format', async () => {
    const norms = Array.from({ length: 60 }, (_, t) => 10 ** (-9 + t / 8)); // 1e-9 … 3e-2
    const flow = await gradFlowSVG([{ label: 'a', norms }], 'flow');
    const ticks = axisLabels(flow, 'Y-axis');
    expect(ticks.length).toBeGreaterThan(5);
    for (const t of ticks) expect(t).toMatch(/^\d(\.\d)?e[+-]\d+$/);
    for (const t of axisLabels(await lossCurveSVG(points, 'loss'), 'Y-axis')) expect(t).toMatch(/^\d(\.\d)?e[+-]\d+$/);
    for (const t of axisLabels(flow, 'X-axis')) expect(t).toMatch(/^\d+$/); // time steps are whole
  });

  it('norms of exactly 0 are drawn on the floor and said, not dropped', async () => {
    const init = Array.from({ length: 20 }, (_, t) => (t < 5 ? 0 : 10 ** (-8 + t / 4)));
    const svg = await gradFlowSVG(
      [
        { label: 'at initialisation', norms: init },
        { label: 'after', norms: init.map((n, t) => (t === 7 ? NaN : n + 1e-3)) },
      ],
      'flow',
    );
    expect(svg).toContain('▼ on the floor: 5 norm(s) exactly 0 (below any log axis); 1 norm(s) NaN or Infinity, not drawn');
    // the five zeros, as symbols at the floor one decade below the smallest positive norm (1e-7)
    const floorMarks = [...svg.matchAll(/aria-label="time step t: (\d+); [^"]*: 1e-8; series: at initialisation"/g)].map((m) => Number(m[1]));
    expect(floorMarks).toEqual([1, 2, 3, 4, 5]);
    expect(axisLabels(svg, 'Y-axis')[0]).toBe('1e-8');
  });
});
