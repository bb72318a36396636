/**
 * The cells the suite benchmarks, keyed by the `--cell` name. An entry says how to build each
 * implementation family of that cell (impls.ts builds the rows from it): our class, the stock
 * tf.layers layer, the plain autodiff loop, and what torch_rnn.py runs for it. Adding a cell, or
 * our class of a cell, is an entry here.
 */
import * as tf from '@tensorflow/tfjs';
import { GRU, LSTM, SimpleRNN } from '../src';
import { autodiffGRU, autodiffLSTM, autodiffSimpleRNN } from '../src/testing';
import { ShapeSpec, SHAPES } from './shapes';

export type CellName = 'simple' | 'lstm' | 'gru';
export const CELL_NAMES: readonly CellName[] = ['simple', 'lstm', 'gru'];

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
  /** The plain tf loop (src/reference/autodiff.ts), x [B, T, D] → sequence [B, T, H], zero initial states. */
  loop: { what: string; run(x: tf.Tensor, w: Weights): tf.Tensor };
  /** What torch_rnn.py runs for this cell. */
  torch: string;
  /** Default shapes, and those of --quick. */
  shapes: string[];
  quickShapes: string[];
}

/** The options every stock layer gets: sequences out, zero initialisers (orthogonal init is slow). */
function stockLayerArgs(D: number, H: number): Parameters<typeof tf.layers.simpleRNN>[0] {
  return { units: H, returnSequences: true, inputShape: [null, D], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' };
}

/** The gated cells' shapes: the small one where per-op overhead rules, and S3. */
const GATED_SHAPES = { shapes: ['S5', 'S3'], quickShapes: ['S1', 'S5'] };

const zerosState = (x: tf.Tensor, H: number): tf.Tensor2D => tf.zeros([x.shape[0], H]);
const as3 = (x: tf.Tensor): tf.Tensor3D => x as tf.Tensor3D;
const as2 = (w: tf.Tensor): tf.Tensor2D => w as tf.Tensor2D;

export const CELLS: Readonly<Record<CellName, CellBench>> = {
  simple: {
    title: 'SimpleRNN',
    gates: 1,
    ours: (D, H, seed) => new SimpleRNN({ inputDim: D, units: H, activation: 'tanh', useBias: true, seed }),
    layer: {
      what: 'tf.layers.simpleRNN',
      make: (D, H) => tf.layers.simpleRNN({ ...stockLayerArgs(D, H), activation: 'tanh' }),
    },
    loop: {
      what: 'plain tf loop, x_t by tf.slice: tanh(x_t·W + h·U + b), tf.stack',
      run: (x, [W, U, b]) => autodiffSimpleRNN(as3(x), as2(W), as2(U), b as tf.Tensor1D, zerosState(x, U.shape[0]), 'tanh').sequence,
    },
    torch: 'torch.nn.RNN',
    shapes: ['S1', 'S2', 'S3', 'S4'],
    quickShapes: ['S1', 'S2'],
  },
  lstm: {
    title: 'LSTM',
    gates: 4,
    ours: (D, H, seed) => new LSTM({ inputDim: D, units: H, seed }),
    layer: {
      what: "tf.layers.lstm (recurrentActivation 'sigmoid')",
      make: (D, H) => tf.layers.lstm({ ...stockLayerArgs(D, H), recurrentActivation: 'sigmoid' }),
    },
    loop: {
      what: 'plain tf loop, x_t by tf.slice: z = x_t·W + h·U + b, σ/tanh gates i f c o, c and h updated, tf.stack',
      run: (x, [W, U, b]) => {
        const H = U.shape[0];
        return autodiffLSTM(as3(x), as2(W), as2(U), b as tf.Tensor1D, zerosState(x, H), zerosState(x, H)).sequence;
      },
    },
    torch: 'torch.nn.LSTM',
    ...GATED_SHAPES,
  },
  gru: {
    title: 'GRU',
    gates: 3,
    ours: (D, H, seed) => new GRU({ inputDim: D, units: H, resetAfter: false, seed }),
    layer: {
      // tfjs's GRU is always the resetAfter=false form (it throws for true).
      what: "tf.layers.gru (recurrentActivation 'sigmoid', resetAfter false)",
      make: (D, H) => tf.layers.gru({ ...stockLayerArgs(D, H), recurrentActivation: 'sigmoid' }),
    },
    loop: {
      what: 'plain tf loop, x_t by tf.slice: σ gates z r, h̃ = tanh(x_t·W_h + (r⊙h)·U_h + b_h) (resetAfter false), tf.stack',
      run: (x, [W, U, b]) => autodiffGRU(as3(x), as2(W), as2(U), b, zerosState(x, U.shape[0]), { resetAfter: false }).sequence,
    },
    torch: 'torch.nn.GRU (the resetAfter=true form: h̃ = tanh(x·W_h + b_h + r⊙(h·U_h + b′_h)); tfjs has only the other)',
    ...GATED_SHAPES,
  },
};

/** The shapes a run of `cell` measures: those asked for, else the cell's defaults (or its quick ones). */
export function shapesFor(cell: CellName, quick: boolean, asked?: ShapeSpec[]): ShapeSpec[] {
  return asked ?? (quick ? CELLS[cell].quickShapes : CELLS[cell].shapes).map((name) => SHAPES[name]);
}
