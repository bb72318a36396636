/**
 * `npm run bench -- --fit`: model.fit() with our drop-in layer against the same model with the
 * stock tf.layers layer, same weights, in one run. Per cell (lstm and gru by default; gru is
 * resetAfter false, tf.layers' only form; recurrentActivation 'sigmoid' for both) and shape:
 *   Sequential[ layer({ units: H, inputShape: [T, D] }) → dense(1) ], adam, mean squared error,
 *   one epoch = 4 batches of B sequences: `await model.fit(x, y, { epochs: 1, batchSize: B })`.
 * fit reads each batch's loss back, so the clock stops after the work. Warm-up: `warmup`
 * trainOnBatch calls per model; then `reps` timed epochs, fewer when they pass the budget (at
 * least one), the two models' epochs interleaved. Backend: wasm unless --backend says otherwise. Writes fit-<backend>-<date>.json and
 * latest-fit-<backend>.md (with -quick for --quick) to --out.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import writeFileAtomic from 'write-file-atomic';
import { layers } from '../src';
import { cellById, KERAS_DEFAULTS, seededTensor } from '../src/testing';
import type { Log } from './bench_shape';
import type { CellName } from './cells';
import { loadAverage, machineInfo } from './machine';
import { initBackend } from './platform';
import { parseShape, ShapeSpec } from './shapes';
import { stat } from './timing';
import type { BenchOptions, MachineInfo, Stat } from './types';

// ---- config ------------------------------------------------------------------------------------
/** The issue's two shapes: per-op overhead rules the first, matMul speed the second (S3). */
const FIT_SHAPES = ['B32xT50xD32xH64', 'B64xT100xD128xH256'];
const QUICK_SHAPES = ['B32xT50xD32xH64'];
const BATCHES = 4; // per epoch
const DEFAULT_BACKEND = 'wasm';
// -------------------------------------------------------------------------------------------------

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;
type LayerArgs = { units: number; inputShape: number[]; kernelInitializer: Initializer; recurrentInitializer: Initializer; dropout?: number; recurrentDropout?: number };

/** Each registered cell's layer of ours and the stock one, from the same args (GRU in tf.layers' form). */
function layersOf(cell: CellName): { ours(a: LayerArgs): tf.layers.Layer; stock(a: LayerArgs): tf.layers.Layer; what: string } {
  const d = cellById(cell);
  const o = { ...KERAS_DEFAULTS, resetAfter: false };
  return {
    ours: (a) => layers.dropInLayer(d.kerasClass, { ...a, ...d.layerOptions(o) }),
    stock: (a) => d.stockLayer(a, o),
    what: d.gated ? `${d.label} (recurrentActivation 'sigmoid'${d.stockRuns(KERAS_DEFAULTS) ? '' : ', resetAfter false'})` : `${d.label} (tanh)`,
  };
}

export interface FitResult {
  cell: CellName;
  shape: string;
  B: number;
  T: number;
  D: number;
  H: number;
  batches: number;
  /** ms per epoch of `batches` batches. */
  ours: Stat;
  stock: Stat;
  /** stock median / ours median. */
  speedup: number;
  /** The median over the interleaved epoch pairs of stock / ours. */
  pairRatio: number;
}

export interface FitReport {
  schema: 'tfjs-rnn-bench-fit/1';
  backend: string;
  backendSummary: string;
  date: string;
  machine: MachineInfo;
  options: { reps: number; warmup: number; budgetS: number; seed: number; quick: boolean; dropout?: number };
  results: FitResult[];
  /** Live tensors left after each cell × shape (should be 0). */
  leakedTensors: Record<string, number>;
}

function compiled(layer: tf.layers.Layer): tf.Sequential {
  const m = tf.sequential({ layers: [layer, tf.layers.dense({ units: 1 })] });
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return m;
}

/** One epoch of model.fit, in ms. */
async function epoch(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, s: ShapeSpec): Promise<number> {
  const start = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: s.B, shuffle: false, verbose: 0 });
  return performance.now() - start;
}

/**
 * Times epochs of model.fit for both models, interleaved (ours, stock, ours, …) so that a change of
 * load on a shared machine falls on both: warm-up batches first, then reps pairs while within the
 * budget (at least one). Returns both stats and the median of the pairs' ratios.
 */
async function timePair(models: { ours: tf.LayersModel; stock: tf.LayersModel }, x: tf.Tensor, y: tf.Tensor, s: ShapeSpec, o: BenchOptions, log: Log, labels: { ours: string; stock: string }) {
  const [xb, yb] = [tf.slice(x, 0, s.B), tf.slice(y, 0, s.B)];
  for (const m of [models.ours, models.stock]) for (let i = 0; i < o.warmup; i++) await m.trainOnBatch(xb, yb);
  tf.dispose([xb, yb]);
  const ours: number[] = [];
  const stock: number[] = [];
  const t0 = performance.now();
  while (ours.length < o.reps && (ours.length === 0 || performance.now() - t0 < 2 * o.budgetS * 1000)) {
    ours.push(await epoch(models.ours, x, y, s));
    stock.push(await epoch(models.stock, x, y, s));
  }
  const [a, b] = [stat(ours), stat(stock)];
  for (const [label, st] of [[labels.ours, a], [labels.stock, b]] as const) log(`  ${label.padEnd(28)} ${st.median.toFixed(0).padStart(7)} ms/epoch  (min ${st.min.toFixed(0)}, max ${st.max.toFixed(0)}, ${st.reps} reps)`);
  const ratios = stock.map((v, i) => v / ours[i]).sort((p, q) => p - q);
  return { ours: a, stock: b, pairRatio: ratios[Math.floor(ratios.length / 2)] };
}

async function benchOne(cell: CellName, s: ShapeSpec, o: BenchOptions, log: Log): Promise<FitResult> {
  const seed = o.seed;
  const args: LayerArgs = {
    units: s.H,
    inputShape: [s.T, s.D],
    ...(o.dropout === undefined ? {} : { dropout: o.dropout, recurrentDropout: o.dropout }),
    // Seeded, and cheaper than tf.layers' orthogonal default (a QR of [4H, H]); copied to the stock model anyway.
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
  };
  const pair = layersOf(cell);
  const ours = compiled(pair.ours(args));
  const stock = compiled(pair.stock(args));
  stock.setWeights(ours.getWeights());
  const x = seededTensor([BATCHES * s.B, s.T, s.D], seed + 2);
  const y = seededTensor([BATCHES * s.B, 1], seed + 3);
  log(`[${cell} ${s.name}] ${pair.what}${o.dropout === undefined ? '' : `, dropout and recurrentDropout ${o.dropout}`}, ${BATCHES} batches of ${s.B}, adam`);
  const timed = await timePair({ ours, stock }, x, y, s, o, log, { ours: 'tfjs-rnn layers.' + cell, stock: 'tf.layers.' + cell });
  const [oursMs, stockMs] = [timed.ours, timed.stock];
  tf.dispose([x, y]);
  for (const m of [ours, stock]) {
    m.optimizer.dispose(); // a model does not dispose an optimizer it was given
    m.dispose();
  }
  const speedup = stockMs.median / oursMs.median;
  log(`  speed-up ${speedup.toFixed(1)}× (median of the interleaved pairs' ratios ${timed.pairRatio.toFixed(1)}×)`);
  return { cell, shape: s.name, B: s.B, T: s.T, D: s.D, H: s.H, batches: BATCHES, ours: oursMs, stock: stockMs, speedup, pairRatio: timed.pairRatio };
}

/** The shapes a run timed, as --shapes takes them. */
function shapesRun(r: FitReport): string {
  return [...new Set(r.results.map((x) => `B${x.B}xT${x.T}xD${x.D}xH${x.H}`))].join(',');
}

/** latest-fit.md: the table of one backend's run. */
export function fitMarkdown(r: FitReport): string {
  const m = r.machine;
  const rows = r.results.map(
    (x) =>
      `| ${x.cell} | B${x.B} T${x.T} D${x.D} H${x.H} | ${x.ours.median.toFixed(0)} (${x.ours.min.toFixed(0)}–${x.ours.max.toFixed(0)}) | ` +
      `${x.stock.median.toFixed(0)} (${x.stock.min.toFixed(0)}–${x.stock.max.toFixed(0)}) | **${x.speedup.toFixed(1)}×** | ${x.pairRatio.toFixed(1)}× |`,
  );
  return [
    `# model.fit(): tfjs-rnn layers vs tf.layers, ${r.backend} (${r.date})`,
    '',
    `One epoch of ${r.results[0]?.batches ?? BATCHES} batches, adam, same weights; ms per epoch, median (min–max) of up to ${r.options.reps} epochs of each, interleaved (ours, stock, ours, …), after ${r.options.warmup} warm-up batch(es).`,
    `Machine: ${m.cpuModel}, ${m.cores} cores, node ${m.node}, tfjs ${m.tfjs}; load ${m.loadAvgStart.join(' ')} → ${(m.loadAvgEnd ?? []).join(' ')}. Backend: ${r.backendSummary}.`,
    `Command: \`npm run bench -- --fit${r.options.quick ? ' --quick' : ''}${r.options.dropout === undefined ? '' : ` --dropout ${r.options.dropout}`} --backend ${r.backend} --shapes ${shapesRun(r)} --reps ${r.options.reps}\``,
    '',
    '| cell | shape | tfjs-rnn ms/epoch | tf.layers ms/epoch | speed-up | median pair ratio |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** The whole --fit run: each backend (default wasm), each cell, each shape. Returns the files written. */
export async function runFitBench(o: BenchOptions): Promise<string[]> {
  const log: Log = o.quiet ? () => undefined : (line) => console.log(line);
  fs.mkdirSync(o.outDir, { recursive: true });
  const shapes = o.shapes ?? (o.quick ? QUICK_SHAPES : FIT_SHAPES).map(parseShape);
  const date = new Date().toISOString().slice(0, 10);
  const suffix = `${o.dropout === undefined ? '' : '-dropout'}${o.quick ? '-quick' : ''}`;
  const files: string[] = [];
  for (const backend of o.backends ?? [DEFAULT_BACKEND]) {
    const info = await initBackend(backend);
    const machine = machineInfo();
    log(`fit() benchmark on ${info.summary}; load ${machine.loadAvgStart.join(' ')}`);
    const report: FitReport = {
      schema: 'tfjs-rnn-bench-fit/1', backend: info.backend, backendSummary: info.summary, date, machine,
      options: { reps: o.reps, warmup: o.warmup, budgetS: o.budgetS, seed: o.seed, quick: o.quick, dropout: o.dropout }, results: [], leakedTensors: {},
    };
    for (const cell of o.cells) {
      for (const s of shapes) {
        const before = tf.memory().numTensors;
        report.results.push(await benchOne(cell, s, o, log));
        report.leakedTensors[`${cell} ${s.name}`] = tf.memory().numTensors - before;
      }
    }
    report.machine = { ...machine, loadAvgEnd: loadAverage() };
    const json = path.join(o.outDir, `fit-${info.backend}-${date}${suffix}.json`);
    const md = path.join(o.outDir, `latest-fit-${info.backend}${suffix}.md`);
    writeFileAtomic.sync(json, JSON.stringify(report, null, 1) + '\n');
    writeFileAtomic.sync(md, fitMarkdown(report));
    files.push(json, md);
  }
  log(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  return files;
}
