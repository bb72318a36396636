/**
 * The cells the suite benchmarks, keyed by the `--cell` name: every cell of the registry
 * (src/cells/registry.ts). An entry says how to build each implementation family of that cell
 * (impls.ts builds the rows from it): our class, the stock tf.layers layer, the plain autodiff
 * loop, and what torch_rnn.py runs for it.
 */
import * as tf from '@tensorflow/tfjs';
import { gru, lstm, simpleRNN } from '../src/index';
import { CELLS as REGISTRY, CELL_IDS, KERAS_DEFAULTS } from '../src/testing';
import type { CellDescriptor, CellId, CellOptions } from '../src/testing';
import { ShapeSpec, SHAPES } from './shapes';

export type CellName = CellId;
export const CELL_NAMES: readonly CellName[] = CELL_IDS;

/** What the benchmark needs of one of our cells (SimpleRNN meets it; LSTM and GRU will). */
export interface OurCell {
  forward(x: tf.Tensor): { sequence: tf.Tensor; last: tf.Tensor; lastCell?: tf.Tensor; tape: { dispose(): void } };
  // Method syntax on purpose: each cell takes its own tape type here.
  weightGradients(tape: { dispose(): void }, upstream: { dSequence: tf.Tensor }): {
    kernel: tf.Tensor;
    recurrentKernel: tf.Tensor;
    bias: tf.Tensor | null;
  };
  /** Copies in tf.layers order [kernel, recurrentKernel, bias]; the caller disposes them. */
  getWeights(): tf.Tensor[];
  dispose(): void;
}

/** Weights in tf.layers order: kernel [D, G·H], recurrentKernel [H, G·H], bias. */
export type Weights = [tf.Tensor, tf.Tensor, tf.Tensor];

export interface CellBench {
  /** The cell's name in titles. */
  title: string;
  /** Gate blocks G (the kernel is [D, G·H]). */
  gates: number;
  /** Our class of this cell; absent until it exists (the "ours" rows are then not run). */
  ours?: (D: number, H: number, seed: number) => OurCell;
  /** The stock layer, described and built with the same math (its weights are set afterwards). */
  layer: { what: string; make(D: number, H: number): tf.layers.Layer };
  /** Our drop-in layer of the same args (src/layers/): differentiableScan, the fused kernels on webgpu. */
  dropIn: { what: string; make(D: number, H: number): tf.layers.Layer };
  /** The plain tf loop (src/reference/autodiff.ts), x [B, T, D] → sequence [B, T, H], zero initial states. */
  loop: { what: string; run(x: tf.Tensor, w: Weights): tf.Tensor };
  /** What torch_rnn.py runs for this cell. */
  torch: string;
  /** Default shapes, and those of --quick. */
  shapes: string[];
  quickShapes: string[];
}

/** The options every stock layer gets: sequences out, zero initialisers (orthogonal init is slow). */
function stockLayerArgs(D: number, H: number): Record<string, unknown> {
  return { units: H, returnSequences: true, inputShape: [null, D], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' };
}

/** The gated cells' shapes: the small one where per-op overhead rules, and S3. */
const GATED_SHAPES = { shapes: ['S5', 'S3'], quickShapes: ['S1', 'S5'] };
const SIMPLE_SHAPES = { shapes: ['S1', 'S2', 'S3', 'S4'], quickShapes: ['S1', 'S2'] };

/** The benchmarked options: Keras's, with GRU in tf.layers' form (resetAfter false), so every cell has a stock row. */
const OPTIONS: CellOptions = { ...KERAS_DEFAULTS, resetAfter: false };

/** Our drop-in layer of each built-in cell, by Keras class. */
const DROP_INS: Record<string, (args: never) => tf.layers.Layer> = { SimpleRNN: simpleRNN, LSTM: lstm, GRU: gru };

/** A registered cell as the suite measures it. */
function benchOf(d: CellDescriptor): CellBench {
  const layer = d.kerasClass === 'SimpleRNN' ? 'simpleRNN' : d.kerasClass.toLowerCase();
  const stockForm = d.stockRuns(KERAS_DEFAULTS) ? '' : ', resetAfter false';
  return {
    title: d.label,
    gates: d.gates,
    ours: (D, H, seed) => d.make({ inputDim: D, units: H, seed }, OPTIONS) as unknown as OurCell,
    layer: { what: `tf.layers.${layer}${d.gated ? ` (recurrentActivation 'sigmoid'${stockForm})` : ''}`, make: (D, H) => d.stockLayer(stockLayerArgs(D, H), OPTIONS) },
    dropIn: {
      what: `tfjs-rnn layers.${layer}${d.gated ? ` (recurrentActivation 'sigmoid'${stockForm})` : ''}`,
      make: (D, H) => DROP_INS[d.kerasClass]({ ...stockLayerArgs(D, H), ...(d.gated ? { recurrentActivation: OPTIONS.recurrentActivation } : {}) } as never),
    },
    loop: {
      what: `plain tf loop (src/reference/autodiff.ts), x_t by tf.slice, ${d.label} step, tf.stack`,
      run: (x, w) => d.autodiff(x as tf.Tensor3D, w, d.stateNames.map(() => tf.zeros([x.shape[0], w[1].shape[0]]) as tf.Tensor2D), OPTIONS).sequence,
    },
    torch: `torch.nn.${d.kerasClass === 'SimpleRNN' ? 'RNN' : d.kerasClass}${stockForm === '' ? '' : ' (the resetAfter=true form; tfjs has only the other)'}`,
    ...(d.gated ? GATED_SHAPES : SIMPLE_SHAPES),
  };
}

export const CELLS: Readonly<Record<CellName, CellBench>> = Object.fromEntries(REGISTRY.map((d) => [d.id, benchOf(d)])) as Record<CellName, CellBench>;

/** The shapes a run of `cell` measures: those asked for, else the cell's defaults (or its quick ones). */
export function shapesFor(cell: CellName, quick: boolean, asked?: ShapeSpec[]): ShapeSpec[] {
  return asked ?? (quick ? CELLS[cell].quickShapes : CELLS[cell].shapes).map((name) => SHAPES[name]);
}
