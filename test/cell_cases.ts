/**
 * One description per cell kind, so that each proof (parity with tf.layers, BPTT against tfjs
 * autodiff, the float64 reference, the hard regime, leaks) is one table-driven suite run for every
 * cell. A case knows how to build our cell, drive it through its states, run the plain autodiff loop
 * (src/reference/autodiff.ts), build the stock tf.layers model, and run the float64 reference.
 */
import * as tf from '@tensorflow/tfjs';
import type { GRU, LSTM, RNNTape, SimpleRNN } from '../src';
import type { CellDescriptor } from '../src/cells/descriptor';
import { CELLS } from '../src/cells/registry';
import type { ReferenceActivation as Activation, ReferenceRecurrentActivation as RecurrentActivation } from '../src/reference/shared';

/** A row of the table: a registered cell id, and the GRU's reset-before form. */
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

/** The default options of a case (tanh; sigmoid gates; bias). */
export const DEFAULTS: CaseOptions = { activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true };

/** Every test sets the stock layer's weights: zeros skip tfjs's slow orthogonal initializer. */
const ZEROS = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;

/** The public names of state k's output, upstream gradient and initial-state gradient. */
const LAST = ['last', 'lastCell'];
const D_LAST = ['dLast', 'dLastCell'];
const D_INITIAL = ['initialState', 'initialCell'];

type Forwarding = { forward(x: tf.Tensor, ...initial: Array<tf.Tensor | null>): Record<string, unknown> & { sequence: tf.Tensor; tape: RNNTape } };
type Backwarding = { backward(tape: RNNTape, upstream: Record<string, tf.Tensor | undefined>): Record<string, tf.Tensor> };

/** A case of the table from a registered cell (GRU twice: resetAfter true and false). */
function caseOf(d: CellDescriptor, variant: { kind: CellKind; label: string; resetAfter: boolean }): CellCase {
  const S = d.stateNames.length;
  const opts = (o: CaseOptions) => ({ ...o, resetAfter: variant.resetAfter });
  return {
    kind: variant.kind,
    label: variant.label,
    gates: d.gates,
    states: S,
    stock: d.stockRuns(opts(DEFAULTS)),
    biasShape: (H) => d.biasShape(H, opts(DEFAULTS)),
    make: (D, H, seed, o) => d.make({ inputDim: D, units: H, seed }, opts(o)) as AnyCell,
    forward: (cell, x, initial) => {
      const r = (cell as unknown as Forwarding).forward(x, ...initial);
      return { sequence: r.sequence, last: LAST.slice(0, S).map((n) => r[n] as tf.Tensor), tape: r.tape };
    },
    backward: (cell, tape, dSequence, dLast) => {
      const upstream: Record<string, tf.Tensor | undefined> = { dSequence: dSequence ?? undefined };
      dLast.forEach((t, k) => (upstream[D_LAST[k]] = t ?? undefined));
      const g = (cell as unknown as Backwarding).backward(tape, upstream);
      return { kernel: g.kernel, recurrentKernel: g.recurrentKernel, bias: g.bias ?? null, input: g.input, initial: D_INITIAL.slice(0, S).map((n) => g[n]) };
    },
    autodiff: (x, w, initial, o) => d.autodiff(x, w, initial, opts(o)),
    stockLayer: (H, o) => d.stockLayer({ units: H, returnSequences: true, returnState: true, ...ZEROS }, opts(o)),
    reference: (x, shape, w, initial, up, o) => d.reference(x, shape, w, initial, up, opts(o)),
  };
}

/** The registry's cells, GRU in both forms. */
export const CELL_CASES: readonly CellCase[] = CELLS.flatMap((d) =>
  d.id === 'gru'
    ? [caseOf(d, { kind: 'gru', label: 'GRU (resetAfter true)', resetAfter: true }), caseOf(d, { kind: 'gru-before', label: 'GRU (resetAfter false)', resetAfter: false })]
    : [caseOf(d, { kind: d.id, label: d.label, resetAfter: false })],
);


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
