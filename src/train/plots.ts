/**
 * Pictures of a run, as SVG: vega-lite spec → vega View (renderer 'none', no canvas) → toSVG().
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

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

/** Training loss (batch) and held-out loss against step, with the quality bar as a rule. */
export async function lossCurveSVG(points: LossPoint[], title: string, bar?: { value: number; label: string }): Promise<string> {
  const rows: Array<{ step: number; loss: number; series: string }> = [];
  for (const p of points) {
    if (Number.isFinite(p.loss)) rows.push({ step: p.step, loss: p.loss, series: 'training batch' });
    if (p.evalLoss !== undefined && Number.isFinite(p.evalLoss)) rows.push({ step: p.step, loss: p.evalLoss, series: 'held-out' });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 560,
    height: 320,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: rows.length < 60 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step' },
          y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      ...(bar === undefined
        ? []
        : [
            {
              data: { values: [{ y: bar.value, label: bar.label }] },
              mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
              encoding: { y: { field: 'y', type: 'quantitative' } },
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

/** ‖∂L/∂h_t‖ against t (log scale): how far back the gradient reaches. */
export async function gradFlowSVG(series: GradFlowSeries[], title: string): Promise<string> {
  const rows: Array<{ t: number; norm: number; series: string }> = [];
  for (const s of series) {
    s.norms.forEach((n, i) => {
      if (Number.isFinite(n) && n > 0) rows.push({ t: i + 1, norm: n, series: s.label });
    });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 560,
    height: 320,
    data: { values: rows },
    mark: { type: 'line' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time step t' },
      y: { field: 'norm', type: 'quantitative', title: '‖∂L/∂h_t‖ (Frobenius, over the batch)', scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as unknown as vegaLite.TopLevelSpec;
  return renderSVG(spec);
}
