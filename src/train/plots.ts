/**
 * Pictures of a run, as SVG: vega-lite spec → vega View (renderer 'none', no canvas) → toSVG().
 * Log axes label every tick in one format (d3-format '~e' style: 1e-8, 2.5e-2, 1e+0), and nothing
 * is left out silently: values a log axis cannot show are drawn as marks on its floor and
 * counted in the subtitle.
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

/** One label format for every tick of a log axis (vega-lite's default mixes 0.000001 and 1e-8). */
const LOG_TICKS = '.1~e';
const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756'];
const BAR_COLOR = 'gray';
const SOLID = [1, 0];
const DASHED = [4, 4];

async function renderSVG(spec: vegaLite.TopLevelSpec): Promise<string> {
  const { spec: compiled } = vegaLite.compile(spec);
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export interface LossPoint {
  step: number;
  loss: number;
  /** Held-out loss, where it was measured. */
  evalLoss?: number;
}

/**
 * Training loss (batch) and held-out loss against step, with the quality bar as a dashed rule
 * that has its own legend entry (one legend: colour and dash share the series scale).
 */
export async function lossCurveSVG(points: LossPoint[], title: string, bar?: { value: number; label: string }): Promise<string> {
  const rows: Array<{ step: number; loss: number; series: string }> = [];
  for (const p of points) {
    if (Number.isFinite(p.loss) && p.loss > 0) rows.push({ step: p.step, loss: p.loss, series: 'training batch' });
    if (p.evalLoss !== undefined && Number.isFinite(p.evalLoss) && p.evalLoss > 0) rows.push({ step: p.step, loss: p.evalLoss, series: 'held-out' });
  }
  const lines = ['training batch', 'held-out'].filter((s) => rows.some((r) => r.series === s));
  const domain = bar === undefined ? lines : [...lines, bar.label];
  const series = (field: boolean): Record<string, unknown> => ({
    ...(field ? { field: 'series' } : { datum: bar?.label }),
    type: 'nominal',
    title: null,
  });
  const color = { scale: { domain, range: [...SERIES_COLORS.slice(0, lines.length), BAR_COLOR] } };
  const dash = { scale: { domain, range: [...lines.map(() => SOLID), DASHED] } };
  const left = points.length - rows.filter((r) => r.series === 'training batch').length;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: left > 0 ? { text: title, subtitle: `${left} training loss value(s) not finite or ≤ 0: not drawn on the log axis` } : title,
    width: 560,
    height: 320,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: rows.length < 60 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step' },
          y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { type: 'log' }, axis: { format: LOG_TICKS } },
          color: { ...series(true), ...color },
          strokeDash: { ...series(true), ...dash },
        },
      },
      ...(bar === undefined
        ? []
        : [
            {
              data: { values: [{ y: bar.value }] },
              mark: { type: 'rule' },
              encoding: {
                y: { field: 'y', type: 'quantitative' },
                color: { ...series(false), ...color },
                strokeDash: { ...series(false), ...dash },
              },
            },
          ]),
    ],
  } as unknown as vegaLite.TopLevelSpec;
  return renderSVG(spec);
}

export interface GradFlowSeries {
  label: string;
  /** ‖∂L/∂h_t‖ for t = 1..T. */
  norms: number[];
}

/**
 * ‖∂L/∂h_t‖ against t (log scale): how far back the gradient reaches. A norm of exactly 0 (a
 * gradient that vanished below float32's range, or dead ReLUs) has no place on a log axis: it is
 * drawn as a ▼ on the axis's floor, a decade below the smallest positive norm, and the subtitle
 * says how many there are; NaN and Infinity are counted there too.
 */
export async function gradFlowSVG(series: GradFlowSeries[], title: string): Promise<string> {
  const positive = series.flatMap((s) => s.norms.filter((n) => Number.isFinite(n) && n > 0));
  const smallest = positive.length > 0 ? Math.min(...positive) : 1;
  const largest = positive.length > 0 ? Math.max(...positive) : 1;
  const floor = 10 ** (Math.floor(Math.log10(smallest)) - 1);
  const rows: Array<{ t: number; norm: number; series: string }> = [];
  const zeros: Array<{ t: number; norm: number; series: string }> = [];
  let notFinite = 0;
  for (const s of series) {
    s.norms.forEach((n, i) => {
      if (!Number.isFinite(n)) notFinite++;
      else if (n > 0) rows.push({ t: i + 1, norm: n, series: s.label });
      else zeros.push({ t: i + 1, norm: floor, series: s.label });
    });
  }
  const notes = [
    ...(zeros.length > 0 ? [`▼ on the floor: ${zeros.length} norm(s) exactly 0 (below any log axis)`] : []),
    ...(notFinite > 0 ? [`${notFinite} norm(s) NaN or Infinity, not drawn`] : []),
  ];
  const x = { field: 't', type: 'quantitative', title: 'time step t', axis: { format: 'd', tickMinStep: 1 } };
  const yScale = zeros.length > 0 ? { type: 'log', domain: [floor, largest], nice: true } : { type: 'log' };
  const y = { field: 'norm', type: 'quantitative', title: '‖∂L/∂h_t‖ (Frobenius, over the batch)', scale: yScale, axis: { format: LOG_TICKS } };
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series.map((s) => s.label), range: SERIES_COLORS } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: notes.length > 0 ? { text: title, subtitle: notes.join('; ') } : title,
    width: 560,
    height: 320,
    layer: [
      { data: { values: rows }, mark: { type: 'line' }, encoding: { x, y, color } },
      ...(zeros.length > 0 ? [{ data: { values: zeros }, mark: { type: 'point', shape: 'triangle-down', filled: true, size: 60 }, encoding: { x, y, color } }] : []),
    ],
  } as unknown as vegaLite.TopLevelSpec;
  return renderSVG(spec);
}
