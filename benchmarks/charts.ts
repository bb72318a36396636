/**
 * The two charts of a run (vega-lite compiled to vega, rendered to SVG without a browser):
 * latest.svg, sequences per second by implementation, per shape and backend, on one log axis
 * shared by every panel (bars compare across shapes and backends); ratios.svg, ours against the
 * stock tf.layers layer. Shapes are named with their dimensions (`S1: B=1 T=100 D=32 H=64`).
 */
import * as path from 'path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import writeFileAtomic from 'write-file-atomic';
import { CELLS } from './cells';
import { ALL_FAMILIES } from './impls';
import { IMPL_ORDER, speedup } from './report';
import type { BackendReport, Result } from './types';

async function toSVG(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * A title that fits however narrow the chart: the long part goes in the subtitle, and the
 * padding keeps both off the edges (a chart of one shape is narrower than its title).
 */
function titled(text: string, subtitle: string): Pick<vl.TopLevelSpec, 'title' | 'padding'> {
  return { title: { text, subtitle, anchor: 'start', frame: 'bounds', offset: 12 }, padding: 12 };
}

/** A shape as the charts name it: its name and dimensions (a custom shape's name is its dimensions). */
export function shapeLabel(r: Pick<Result, 'shape' | 'B' | 'T' | 'D' | 'H'>): string {
  const dims = `B=${r.B} T=${r.T} D=${r.D} H=${r.H}`;
  return /^B\d+xT\d+xD\d+xH\d+$/i.test(r.shape) ? dims : `${r.shape}: ${dims}`;
}

/** Writes latest<suffix>.svg and ratios<suffix>.svg into outDir; returns their paths. */
export async function writeCharts(reports: BackendReport[], outDir: string, suffix: string): Promise<string[]> {
  const cell = CELLS[reports[0]?.cell ?? 'simple'];
  const date = reports[0]?.date ?? '';
  const rows = reports.flatMap((rep) =>
    rep.results
      .filter((r) => r.status === 'ok' && r.seqPerSec !== undefined)
      .map((r) => ({ backend: rep.backend, shape: shapeLabel(r), impl: r.impl, family: r.family, kind: r.kind, seqPerSec: r.seqPerSec })),
  );
  const seqSpec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...titled(`tfjs-rnn ${cell.title}: sequences per second`, `higher is better; one log axis shared by every panel; ${date}`),
    data: { values: rows },
    facet: { row: { field: 'backend', type: 'nominal' }, column: { field: 'shape', type: 'nominal' } },
    spec: {
      width: 160,
      height: 120,
      mark: 'bar',
      encoding: {
        x: { field: 'impl', type: 'nominal', sort: IMPL_ORDER, axis: { labelAngle: -45 }, title: null },
        // stack: null, or vega-lite stacks the bars from 0, which a log scale cannot show (no bars at all).
        y: { field: 'seqPerSec', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'seq/s (log)' },
        // A fixed domain, so a family keeps its colour when another is absent from a run.
        color: { field: 'family', type: 'nominal', scale: { domain: [...ALL_FAMILIES] } },
        tooltip: [{ field: 'seqPerSec', type: 'quantitative' }],
      },
    },
    // One y scale for every panel (vega-lite's default for facets, stated here on purpose): a
    // scale per panel made equal bars mean different speeds.
    resolve: { scale: { y: 'shared' } },
  };
  const ratioRows = reports
    .filter((r) => r.backend !== 'torch')
    .flatMap((rep) =>
      Object.keys(rep.matmul).flatMap((s) =>
        (['train', 'forward'] as const).flatMap((kind) => {
          const v = speedup(rep, s, kind, 'tf.layers');
          const dims = rep.results.find((r) => r.shape === s);
          return v === undefined ? [] : [{ backend: rep.backend, shape: dims === undefined ? s : shapeLabel(dims), kind, speedup: v }];
        }),
      ),
    );
  const ratioSpec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...titled(`ours vs ${cell.layer.what}`, `speed-up = tf.layers time / ours (above 1: ours is faster); ${date}`),
    data: { values: ratioRows },
    facet: { column: { field: 'backend', type: 'nominal' } },
    spec: {
      width: 200,
      height: 160,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'shape', type: 'nominal', title: null, axis: { labelAngle: -30 } },
            xOffset: { field: 'kind', type: 'nominal' },
            y: { field: 'speedup', type: 'quantitative', title: 'speed-up ×' },
            color: { field: 'kind', type: 'nominal' },
          },
        },
        { mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
      ],
    },
  };
  const files: string[] = [];
  for (const [name, spec] of [[`latest${suffix}.svg`, seqSpec], [`ratios${suffix}.svg`, ratioSpec]] as const) {
    const file = path.join(outDir, name);
    writeFileAtomic.sync(file, await toSVG(spec));
    files.push(file);
  }
  return files;
}
