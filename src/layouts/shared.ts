/**
 * What the layout converters (simple_rnn.ts, lstm.ts, gru.ts) share: reading a weight given as a
 * tensor or a nested number array, "expected X, got Y" shape checks, moving gate blocks between
 * PyTorch's rows and Keras's columns, and running a converter in tf.tidy.
 *
 * A cell with G gates (SimpleRNN 1, GRU 3, LSTM 4) and H units stacks its gates' weights:
 *   Keras    kernel [D, G·H], recurrentKernel [H, G·H]      gate k in columns [k·H, (k+1)·H)
 *   PyTorch  weight_ih_l0 [G·H, D], weight_hh_l0 [G·H, H]   gate k in rows    [k·H, (k+1)·H)
 * so going from one to the other is a transpose plus, where the two orders differ, a permutation
 * of the gate blocks. `kerasFromTorch[k]` names the PyTorch gate block that Keras's block k is.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFields, fieldsText } from '../cells/checks';

/** A weight given as a tensor or as a plain (nested, rectangular) number array. */
export type WeightInput = tf.Tensor | number[] | number[][];

/** PyTorch's state_dict names for one layer of nn.RNN, nn.LSTM or nn.GRU. */
export interface PytorchWeights {
  /** [G·H, D] */
  weight_ih_l0: tf.Tensor2D;
  /** [G·H, H] */
  weight_hh_l0: tf.Tensor2D;
  /** [G·H], or null when bias=False. */
  bias_ih_l0: tf.Tensor1D | null;
  /** [G·H], or null when bias=False. */
  bias_hh_l0: tf.Tensor1D | null;
}

export interface PytorchWeightsInput {
  weight_ih_l0: WeightInput;
  weight_hh_l0: WeightInput;
  bias_ih_l0?: WeightInput | null;
  bias_hh_l0?: WeightInput | null;
}

/** Keras / tf.layers layout with a [G·H] bias (SimpleRNN, LSTM): the order of getWeights() / setWeights(). */
export interface KerasWeights {
  /** [D, G·H] */
  kernel: tf.Tensor2D;
  /** [H, G·H] */
  recurrentKernel: tf.Tensor2D;
  /** [G·H], or null for no bias. */
  bias: tf.Tensor1D | null;
}

/** Keras layout as accepted by the converters; bias may be omitted. */
export interface KerasWeightsInput {
  kernel: WeightInput;
  recurrentKernel: WeightInput;
  bias?: WeightInput | null;
}

function entries(n: number): string {
  return `${n} ${n === 1 ? 'entry' : 'entries'}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${entries(value.length)}`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `a string ('${value}')`;
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}

/**
 * Throws unless `value` is a rectangular nested array of numbers: its first entries give the shape,
 * and every entry must agree (tf.tensor would otherwise fill a ragged array with NaN).
 */
function checkNumberArray(name: string, value: unknown[]): void {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new Error(`expected ${path} a number, got ${describe(v)}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new Error(
        `expected ${path} an array of ${entries(shape[depth])} (${name} must be rectangular; its first entries ` +
          `give the shape [${shape.join(', ')}]), got ${describe(v)}`,
      );
    }
    v.forEach((entry, i) => walk(entry, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, name);
}

/** A tensor for `value`; new tensors made here are disposed by the caller's tf.tidy. */
export function asTensor(name: string, value: WeightInput): tf.Tensor {
  if (Array.isArray(value)) {
    checkNumberArray(name, value);
    return tf.tensor(value, undefined, 'float32');
  }
  // Duck-typed rather than instanceof, so tensors from another copy of tfjs-core are accepted too.
  if (typeof value !== 'object' || value === null || !('shape' in value) || !('dataSync' in value)) {
    throw new Error(`expected ${name} a tf.Tensor or a number array, got ${value === null ? 'null' : typeof value}`);
  }
  if (value.isDisposed) throw new Error(`expected ${name} a live tensor, got a disposed one`);
  return value;
}

/**
 * Checks a converter's argument: an object with the weights' names as keys, the optional ones
 * possibly absent; any other key is refused (a PyTorch state_dict of more than one layer or
 * direction, or a misspelt `bias`, would otherwise be dropped silently).
 */
export function checkWeightNames(weights: unknown, required: readonly string[], optional: readonly string[]): void {
  checkFields('weights', weights, [...required, ...optional], fieldsText(required, optional));
}

/**
 * Checks `t` against `dims` (names, e.g. ['4H', 'H']) where `sizes` gives the sizes already fixed by
 * another weight (null: free). Throws e.g. `expected weight_hh_l0 [4H, H] = [16, 4], got [16, 5]`.
 */
export function checkShape(name: string, t: tf.Tensor, dims: string[], sizes: Array<number | null>): void {
  const fixed = sizes.some((s) => s !== null);
  const expected = `[${dims.join(', ')}]` + (fixed ? ` = [${sizes.map((s, i) => s ?? dims[i]).join(', ')}]` : '');
  const ok = t.rank === dims.length && t.shape.every((s, i) => s > 0 && (sizes[i] === null || s === sizes[i]));
  if (!ok) throw new Error(`expected ${name} ${expected}, got [${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32') throw new Error(`expected ${name} of dtype float32, got ${t.dtype}`);
}

/** An optional weight of shape `dims` = `sizes`, or null when absent. */
export function readOptional(name: string, value: WeightInput | null | undefined, dims: string[], sizes: number[]): tf.Tensor | null {
  if (value === undefined || value === null) return null;
  const t = asTensor(name, value);
  checkShape(name, t, dims, sizes);
  return t;
}

/** How a layout stacks its G gates: along the rows (PyTorch, textbook) or the columns (Keras). */
export type GateAxis = 'rows' | 'columns';

/**
 * Reads an input matrix ([G·H, D] by rows, [D, G·H] by columns) and a recurrent one ([G·H, H] or
 * [H, G·H]); H comes from the input matrix. Returns both and H.
 */
export function readMatrices(
  names: [string, string],
  values: [WeightInput, WeightInput],
  gates: number,
  axis: GateAxis,
): { input: tf.Tensor2D; recurrent: tf.Tensor2D; H: number } {
  const GH = gates === 1 ? 'H' : `${gates}H`;
  const gateAxis = axis === 'rows' ? 0 : 1;
  const order = (gate: string, other: string): string[] => (axis === 'rows' ? [gate, other] : [other, gate]);
  const input = asTensor(names[0], values[0]) as tf.Tensor2D;
  checkShape(names[0], input, order(GH, 'D'), [null, null]);
  const stacked = input.shape[gateAxis];
  if (stacked % gates !== 0) {
    throw new Error(`expected ${names[0]} [${order(GH, 'D').join(', ')}] with ${GH} a multiple of ${gates}, got [${input.shape.join(', ')}]`);
  }
  const H = stacked / gates;
  const recurrent = asTensor(names[1], values[1]) as tf.Tensor2D;
  checkShape(names[1], recurrent, order(GH, 'H'), axis === 'rows' ? [stacked, H] : [H, stacked]);
  return { input, recurrent, H };
}

/** `t` with its gate blocks along `axis` taken in `order` (block k of the result = block order[k] of t). */
export function reorderGates<T extends tf.Tensor>(t: T, order: number[], axis: number): T {
  if (order.every((from, k) => from === k)) return t.clone();
  const blocks = tf.split(t, order.length, axis);
  return tf.concat(order.map((from) => blocks[from]), axis) as T;
}

/** The inverse of a gate permutation: if Keras's block k is PyTorch's block order[k], PyTorch's block order[k] is Keras's k. */
export function invertOrder(order: number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((from, k) => {
    inverse[from] = k;
  });
  return inverse;
}

/**
 * Moves a pair of gate-stacked matrices to the other layout: reorders the gate blocks along their
 * axis `from` (block k of the result is block order[k] of the input), then transposes.
 */
export function moveMatrices(input: tf.Tensor2D, recurrent: tf.Tensor2D, order: number[], from: GateAxis): [tf.Tensor2D, tf.Tensor2D] {
  const axis = from === 'rows' ? 0 : 1;
  return [reorderGates(input, order, axis).transpose(), reorderGates(recurrent, order, axis).transpose()];
}

/**
 * Runs a converter body in tf.tidy and keeps the tensors of the object it returns (null entries
 * pass through): the caller owns them, everything else made inside is disposed.
 */
export function tidyWeights<T extends object>(f: () => T): T {
  let entries: Array<[string, unknown]> = [];
  const kept = tf.tidy(() => {
    entries = Object.entries(f());
    const tensors: Record<string, tf.Tensor> = {};
    for (const [key, v] of entries) if (v !== null) tensors[key] = v as tf.Tensor;
    return tensors;
  });
  return Object.fromEntries(entries.map(([key]) => [key, kept[key] ?? null])) as T;
}

/** b_ih + b_hh, a missing one counting as zero; null when both are missing. Call inside tf.tidy. */
export function sumBiases(bih: tf.Tensor | null, bhh: tf.Tensor | null): tf.Tensor1D | null {
  if (bih !== null && bhh !== null) return tf.add<tf.Tensor1D>(bih, bhh);
  const only = bih ?? bhh;
  return only === null ? null : (only.clone() as tf.Tensor1D);
}

/** Reads Keras weights of a cell with G gates and a [G·H] bias (or none). Call inside tf.tidy. */
export function readKeras(weights: KerasWeightsInput, gates: number): { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D; bias: tf.Tensor1D | null; H: number } {
  checkWeightNames(weights, ['kernel', 'recurrentKernel'], ['bias']);
  const { input, recurrent, H } = readMatrices(['kernel', 'recurrentKernel'], [weights.kernel, weights.recurrentKernel], gates, 'columns');
  const bias = readOptional('bias', weights.bias, [gates === 1 ? 'H' : `${gates}H`], [gates * H]) as tf.Tensor1D | null;
  return { kernel: input, recurrentKernel: recurrent, bias, H };
}

/** Reads PyTorch weights of a cell with G gates. Call inside tf.tidy. */
export function readPytorch(weights: PytorchWeightsInput, gates: number): { Wih: tf.Tensor2D; Whh: tf.Tensor2D; bih: tf.Tensor1D | null; bhh: tf.Tensor1D | null; H: number } {
  checkWeightNames(weights, ['weight_ih_l0', 'weight_hh_l0'], ['bias_ih_l0', 'bias_hh_l0']);
  const { input, recurrent, H } = readMatrices(['weight_ih_l0', 'weight_hh_l0'], [weights.weight_ih_l0, weights.weight_hh_l0], gates, 'rows');
  const dims = [gates === 1 ? 'H' : `${gates}H`];
  const bih = readOptional('bias_ih_l0', weights.bias_ih_l0, dims, [gates * H]) as tf.Tensor1D | null;
  const bhh = readOptional('bias_hh_l0', weights.bias_hh_l0, dims, [gates * H]) as tf.Tensor1D | null;
  return { Wih: input, Whh: recurrent, bih, bhh, H };
}

/**
 * PyTorch → Keras for a cell whose two biases only ever appear summed (nn.RNN, nn.LSTM) and whose
 * gate order is Keras's: kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = b_ih + b_hh.
 */
export function summedBiasPytorchToKeras(weights: PytorchWeightsInput, gates: number): KerasWeights {
  return tidyWeights(() => {
    const { Wih, Whh, bih, bhh } = readPytorch(weights, gates);
    const [kernel, recurrentKernel] = moveMatrices(Wih, Whh, identityOrder(gates), 'rows');
    return { kernel, recurrentKernel, bias: sumBiases(bih, bhh) }; // [D, GH], [H, GH], [GH]
  });
}

/**
 * Keras → PyTorch for the same cells: weight_ih_l0 = kernelᵀ, weight_hh_l0 = recurrentKernelᵀ,
 * bias_ih_l0 = bias, bias_hh_l0 = 0 (both null when there is no bias: bias=False).
 */
export function summedBiasKerasToPytorch(weights: KerasWeightsInput, gates: number): PytorchWeights {
  return tidyWeights(() => {
    const { kernel, recurrentKernel, bias } = readKeras(weights, gates);
    const [weight_ih_l0, weight_hh_l0] = moveMatrices(kernel, recurrentKernel, identityOrder(gates), 'columns');
    const bias_ih_l0 = bias === null ? null : bias.clone(); // [GH]
    const bias_hh_l0 = bias === null ? null : tf.zerosLike(bias); // [GH]
    return { weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 };
  });
}

function identityOrder(gates: number): number[] {
  return Array.from({ length: gates }, (_, k) => k);
}
