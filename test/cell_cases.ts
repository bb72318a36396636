/**
 * One description per cell kind, so that each proof (parity with tf.layers, BPTT against tfjs
 * autodiff, the float64 reference, the hard regime, leaks) is one table-driven suite run for every
 * cell. A case knows how to build our cell, drive it through its states, run the plain autodiff loop
 * (src/reference/autodiff.ts), build the stock tf.layers model, and run the float64 reference.
 */
import * as tf from '@tensorflow/tfjs';
import { GRU, LSTM, SimpleRNN, autodiffGRU, autodiffLSTM, autodiffSimpleRNN } from '../src';
import type { RNNTape } from '../src';
import type { ReferenceActivation as Activation, ReferenceRecurrentActivation as RecurrentActivation } from '../src/reference/shared';
import { gruReferenceBackward, gruReferenceForward } from '../src/reference/gru';
import { lstmReferenceBackward, lstmReferenceForward } from '../src/reference/lstm';
import { referenceBackward, referenceForward } from '../src/reference/simple_rnn';

export type CellKind = 'simple' | 'lstm' | 'gru' | 'gru-before';

export interface CaseOptions {
  activation: Activation;
  recurrentActivation: RecurrentActivation;
  useBias: boolean;
}

export type AnyCell = SimpleRNN | LSTM | GRU;

export interface Forward {
  sequence: tf.Tensor;
  /** Final states: [h_T] or [h_T, c_T]. */
  last: tf.Tensor[];
  tape: RNNTape;
}

export interface Grads {
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias: tf.Tensor | null;
  input: tf.Tensor;
  /** ∂ of each initial state. */
  initial: tf.Tensor[];
}

export interface F64Result {
  sequence: Float64Array;
  last: Float64Array[];
  grads: { kernel: Float64Array; recurrentKernel: Float64Array; bias: Float64Array | null; input: Float64Array; initial: Float64Array[] };
}

export interface CellCase {
  kind: CellKind;
  label: string;
  gates: number;
  /** Number of states (1, or 2 for an LSTM: h and c). */
  states: number;
  /** Whether tf.layers has the same cell (GRU with resetAfter true it has not). */
  stock: boolean;
  /** The bias's shape for H units. */
  biasShape(H: number): number[];
  make(D: number, H: number, seed: number, o: CaseOptions): AnyCell;
  forward(cell: AnyCell, x: tf.Tensor, initial: Array<tf.Tensor | null>): Forward;
  backward(cell: AnyCell, tape: RNNTape, dSequence: tf.Tensor | null, dLast: Array<tf.Tensor | null>): Grads;
  /** The plain autodiff loop: sequence and final states. */
  autodiff(x: tf.Tensor3D, w: tf.Tensor[], initial: tf.Tensor2D[], o: CaseOptions): { sequence: tf.Tensor; last: tf.Tensor[] };
  /** tf.layers layer of the same math (returnSequences and returnState on). */
  stockLayer(H: number, o: CaseOptions): tf.layers.Layer;
  reference(
    x: Float64Array,
    shape: { B: number; T: number; D: number },
    w: { kernel: Float64Array; recurrentKernel: Float64Array; bias: Float64Array | null; H: number },
    initial: Array<Float64Array | null>,
    upstream: { dSequence: Float64Array | null; dLast: Array<Float64Array | null> },
    o: CaseOptions,
  ): F64Result;
}

const bias = (w: tf.Tensor[]): tf.Tensor | null => w[2] ?? null;
/** Every test sets the stock layer's weights: zeros skip tfjs's slow orthogonal initializer. */
const ZEROS = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;

const simple: CellCase = {
  kind: 'simple',
  label: 'SimpleRNN',
  gates: 1,
  states: 1,
  stock: true,
  biasShape: (H) => [H],
  make: (D, H, seed, o) => new SimpleRNN({ inputDim: D, units: H, activation: o.activation, useBias: o.useBias, seed }),
  forward: (cell, x, [h0]) => {
    const r = (cell as SimpleRNN).forward(x, h0);
    return { sequence: r.sequence, last: [r.last], tape: r.tape };
  },
  backward: (cell, tape, dSequence, [dLast]) => {
    const g = (cell as SimpleRNN).backward(tape, { dSequence: dSequence ?? undefined, dLast: dLast ?? undefined });
    return { kernel: g.kernel, recurrentKernel: g.recurrentKernel, bias: g.bias, input: g.input, initial: [g.initialState] };
  },
  autodiff: (x, w, [h0], o) => {
    const r = autodiffSimpleRNN(x, w[0] as tf.Tensor2D, w[1] as tf.Tensor2D, bias(w) as tf.Tensor1D | null, h0, o.activation);
    return { sequence: r.sequence, last: [r.last] };
  },
  stockLayer: (H, o) => tf.layers.simpleRNN({ units: H, activation: o.activation, useBias: o.useBias, returnSequences: true, returnState: true, ...ZEROS }),
  reference: (x, shape, w, [h0], up, o) => {
    const f = referenceForward(x, shape, w, h0, o.activation);
    const g = referenceBackward(x, shape, w, h0, o.activation, { dSequence: up.dSequence, dLast: up.dLast[0] });
    return { sequence: f.sequence, last: [f.last], grads: { ...g, initial: [g.initialState] } };
  },
};

const lstm: CellCase = {
  kind: 'lstm',
  label: 'LSTM',
  gates: 4,
  states: 2,
  stock: true,
  biasShape: (H) => [4 * H],
  make: (D, H, seed, o) => new LSTM({ inputDim: D, units: H, seed, ...o }),
  forward: (cell, x, [h0, c0]) => {
    const r = (cell as LSTM).forward(x, h0, c0);
    return { sequence: r.sequence, last: [r.last, r.lastCell], tape: r.tape };
  },
  backward: (cell, tape, dSequence, [dLast, dLastCell]) => {
    const g = (cell as LSTM).backward(tape, { dSequence: dSequence ?? undefined, dLast: dLast ?? undefined, dLastCell: dLastCell ?? undefined });
    return { kernel: g.kernel, recurrentKernel: g.recurrentKernel, bias: g.bias, input: g.input, initial: [g.initialState, g.initialCell] };
  },
  autodiff: (x, w, [h0, c0], o) => {
    const r = autodiffLSTM(x, w[0] as tf.Tensor2D, w[1] as tf.Tensor2D, bias(w) as tf.Tensor1D | null, h0, c0, o);
    return { sequence: r.sequence, last: [r.last, r.lastCell] };
  },
  stockLayer: (H, o) => tf.layers.lstm({ units: H, ...o, returnSequences: true, returnState: true, ...ZEROS }),
  reference: (x, shape, w, [h0, c0], up, o) => {
    const f = lstmReferenceForward(x, shape, w, h0, c0, o);
    const g = lstmReferenceBackward(x, shape, w, h0, c0, { dSequence: up.dSequence, dLast: up.dLast[0], dLastCell: up.dLast[1] }, o);
    return { sequence: f.sequence, last: [f.last, f.lastCell], grads: { ...g, initial: [g.initialState, g.initialCell] } };
  },
};

function gruCase(resetAfter: boolean): CellCase {
  return {
    kind: resetAfter ? 'gru' : 'gru-before',
    label: `GRU (resetAfter ${resetAfter})`,
    gates: 3,
    states: 1,
    stock: !resetAfter,
    biasShape: (H) => (resetAfter ? [2, 3 * H] : [3 * H]),
    make: (D, H, seed, o) => new GRU({ inputDim: D, units: H, seed, resetAfter, ...o }),
    forward: (cell, x, [h0]) => {
      const r = (cell as GRU).forward(x, h0);
      return { sequence: r.sequence, last: [r.last], tape: r.tape };
    },
    backward: (cell, tape, dSequence, [dLast]) => {
      const g = (cell as GRU).backward(tape, { dSequence: dSequence ?? undefined, dLast: dLast ?? undefined });
      return { kernel: g.kernel, recurrentKernel: g.recurrentKernel, bias: g.bias, input: g.input, initial: [g.initialState] };
    },
    autodiff: (x, w, [h0], o) => {
      const r = autodiffGRU(x, w[0] as tf.Tensor2D, w[1] as tf.Tensor2D, bias(w), h0, { ...o, resetAfter });
      return { sequence: r.sequence, last: [r.last] };
    },
    stockLayer: (H, o) => tf.layers.gru({ units: H, ...o, returnSequences: true, returnState: true, ...ZEROS }),
    reference: (x, shape, w, [h0], up, o) => {
      const wr = { ...w, resetAfter };
      const f = gruReferenceForward(x, shape, wr, h0, o);
      const g = gruReferenceBackward(x, shape, wr, h0, { dSequence: up.dSequence, dLast: up.dLast[0] }, o);
      return { sequence: f.sequence, last: [f.last], grads: { ...g, initial: [g.initialState] } };
    },
  };
}

export const CELL_CASES: readonly CellCase[] = [simple, lstm, gruCase(true), gruCase(false)];

/** The default options of a case (tanh; sigmoid gates; bias). */
export const DEFAULTS: CaseOptions = { activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true };

/** A problem's draws as plain arrays: x [B, T, D], the initial states [B, H] each, the upstream gradients. */
export interface Draws {
  x: Float32Array;
  initial: Float32Array[];
  dSequence: Float32Array; // [B, T, H]
  dLast: Float32Array[]; // [B, H] each
}

/**
 * The draws as tensors, then our cell's forward and manual backward over them.
 * disposeAll(fwd, g, x, initial, dSeq, dLast) frees all of it.
 */
export function forwardBackward(c: CellCase, cell: AnyCell, d: Draws, B: number, T: number) {
  const [D, H] = [cell.inputDim, cell.units];
  const x = tf.tensor3d(d.x, [B, T, D]);
  const initial = d.initial.map((v) => tf.tensor2d(v, [B, H]));
  const dSeq = tf.tensor3d(d.dSequence, [B, T, H]);
  const dLast = d.dLast.map((v) => tf.tensor2d(v, [B, H]));
  const fwd = c.forward(cell, x, initial);
  const g = c.backward(cell, fwd.tape, dSeq, dLast);
  return { x, initial, dSeq, dLast, fwd, g };
}

/** Disposes a Forward and a Grads (and anything else given). */
export function disposeAll(...things: Array<Forward | Grads | tf.Tensor | null | undefined | Array<tf.Tensor | null>>): void {
  for (const t of things) {
    if (t == null) continue;
    if (t instanceof tf.Tensor) t.dispose();
    else if (Array.isArray(t)) t.forEach((x) => x?.dispose());
    else if ('tape' in t) {
      t.sequence.dispose();
      tf.dispose(t.last);
      t.tape.dispose();
    } else {
      tf.dispose([t.kernel, t.recurrentKernel, t.input, ...t.initial]);
      t.bias?.dispose();
    }
  }
}
