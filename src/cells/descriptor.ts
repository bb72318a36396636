/**
 * One descriptor per built-in cell: everything the library, the training app, export, the loader,
 * the benchmarks and the proof tables need to know of a cell, in one place (its file), listed once
 * in registry.ts. Adding a built-in cell: its file (math + class + descriptor), its float64
 * reference, one line in the registry (and a row in the test table).
 *
 * Uniform shapes: x [B, T, D]; weights in Keras layout [kernel, recurrentKernel(, bias)];
 * states [h] or [h, c], [B, H] each.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ActivationName } from './activations';
import type { RecurrentCell } from './recurrent_cell';
import type { CellMath } from '../scan/contract';

/** The one spelling of each built-in cell. */
export type CellId = 'simple' | 'lstm' | 'gru';

/** The options every built-in cell's math is built from (a cell ignores those it has not). */
export interface CellOptions {
  activation: ActivationName;
  recurrentActivation: ActivationName;
  useBias: boolean;
  /** GRU: the reset gate after the recurrent matMul (Keras ≥ 2.3). */
  resetAfter: boolean;
}

/** Keras's defaults. */
export const KERAS_DEFAULTS: CellOptions = { activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, resetAfter: true };

/** Weights and results of the float64 references, as plain arrays. */
export interface Float64Weights {
  kernel: Float64Array;
  recurrentKernel: Float64Array;
  bias: Float64Array | null;
  H: number;
}

export interface Float64Result {
  sequence: Float64Array;
  last: Float64Array[];
  grads: { kernel: Float64Array; recurrentKernel: Float64Array; bias: Float64Array | null; input: Float64Array; initial: Float64Array[] };
}

export interface CellDescriptor {
  id: CellId;
  /** For messages and tables ('SimpleRNN'). */
  label: string;
  /** The Keras / tf.layers class name of its layer. */
  kerasClass: 'SimpleRNN' | 'LSTM' | 'GRU';
  /** Keras's layer-name prefix ('simple_rnn'). */
  layerPrefix: string;
  gates: number;
  /** ['h'] or ['h', 'c']. */
  stateNames: readonly string[];
  /** Whether it has gates (a recurrentActivation). */
  gated: boolean;
  /** The driver's math. */
  math(o: CellOptions): CellMath;
  /** A cell of this kind (seeded Keras initialisers; LSTM forget-gate bias 1). */
  make(config: { inputDim: number; units: number; seed?: number; name?: string }, o: CellOptions): RecurrentCell;
  /** The bias's shape for H units. */
  biasShape(H: number, o: CellOptions): number[];
  /** The options of o its drop-in layer takes (tf.layers' names): activation, recurrentActivation, resetAfter. */
  layerOptions(o: CellOptions): Record<string, unknown>;
  /** Whether stock tf.layers has the same math (GRU with resetAfter: true it has not). */
  stockRuns(o: CellOptions): boolean;
  /** The stock tf.layers layer (tf.layers' args; the caller adds units, shapes, …). */
  stockLayer(args: Record<string, unknown>, o: CellOptions): tf.layers.Layer;
  /** The plain tfjs loop tfjs autodiff differentiates: sequence and final states. */
  autodiff(x: tf.Tensor3D, w: tf.Tensor[], initial: tf.Tensor2D[], o: CellOptions): { sequence: tf.Tensor; last: tf.Tensor[] };
  /** The float64 reference: forward and every gradient. */
  reference(
    x: Float64Array,
    shape: { B: number; T: number; D: number },
    w: Float64Weights,
    initial: Array<Float64Array | null>,
    upstream: { dSequence: Float64Array | null; dLast: Array<Float64Array | null> },
    o: CellOptions,
  ): Float64Result;
}
