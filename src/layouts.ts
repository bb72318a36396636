/**
 * Weight layouts for a SimpleRNN, converted to and from the Keras layout our cell uses.
 * B batch, D input features, H units. Each convention, with its equations, is stated here once.
 *
 * Keras / tf.layers (our layout; row vectors, x_t [B, D], h_t [B, H]):
 *   kernel [D, H], recurrentKernel [H, H], bias [H] (or none)
 *   h_t = act(x_t · kernel + h_{t-1} · recurrentKernel + bias)
 *
 * Textbook (seeds 000/001, Chollet's numpy loop; column vectors, x_t [D], h_t [H]):
 *   W [H, D], U [H, H], b [H]
 *   h_t = act(W x_t + U h_{t-1} + b)
 *   Transposing the Keras equation gives: kernel = Wᵀ, recurrentKernel = Uᵀ, bias = b, and back
 *   W = kernelᵀ, U = recurrentKernelᵀ, b = bias. Both directions are exact.
 *
 * PyTorch nn.RNN, one layer (row vectors):
 *   weight_ih_l0 [H, D], weight_hh_l0 [H, H], bias_ih_l0 [H], bias_hh_l0 [H] (none when bias=False)
 *   h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)
 *   To Keras: kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = b_ih + b_hh (a missing one counts as 0;
 *   both missing gives no bias). The two biases always appear summed, so only the sum is defined by
 *   the Keras weights: going back we choose bias_ih_l0 = bias, bias_hh_l0 = 0 (none when no bias).
 *   Keras → PyTorch → Keras is therefore exact; PyTorch → Keras → PyTorch is exact when
 *   bias_hh_l0 = 0, and otherwise preserves b_ih + b_hh (and so every output) but not the split.
 *
 * Every converter returns new tensors the caller owns and must dispose; the inputs are neither
 * disposed nor returned. Inputs may be tf.Tensors or plain (nested) number arrays, float32.
 */
import * as tf from '@tensorflow/tfjs';

/** A weight given as a tensor or as a plain (nested) number array. */
export type WeightInput = tf.Tensor | number[] | number[][];

/** Keras / tf.layers layout: the order of SimpleRNN.getWeights() / setWeights(). */
export interface KerasWeights {
  /** [D, H] */
  kernel: tf.Tensor2D;
  /** [H, H] */
  recurrentKernel: tf.Tensor2D;
  /** [H], or null for no bias. */
  bias: tf.Tensor1D | null;
}

/** Keras layout as accepted by the converters; bias may be omitted. */
export interface KerasWeightsInput {
  kernel: WeightInput;
  recurrentKernel: WeightInput;
  bias?: WeightInput | null;
}

/** Textbook layout of seeds 000/001 (column vectors). */
export interface TextbookWeights {
  /** [H, D] */
  W: tf.Tensor2D;
  /** [H, H] */
  U: tf.Tensor2D;
  /** [H], or null for no bias. */
  b: tf.Tensor1D | null;
}

export interface TextbookWeightsInput {
  W: WeightInput;
  U: WeightInput;
  b?: WeightInput | null;
}

/** PyTorch nn.RNN state_dict names for a single layer. */
export interface PytorchWeights {
  /** [H, D] */
  weight_ih_l0: tf.Tensor2D;
  /** [H, H] */
  weight_hh_l0: tf.Tensor2D;
  /** [H], or null when bias=False. */
  bias_ih_l0: tf.Tensor1D | null;
  /** [H], or null when bias=False. */
  bias_hh_l0: tf.Tensor1D | null;
}

export interface PytorchWeightsInput {
  weight_ih_l0: WeightInput;
  weight_hh_l0: WeightInput;
  bias_ih_l0?: WeightInput | null;
  bias_hh_l0?: WeightInput | null;
}

/**
 * Checks `t` against `dims` (names, e.g. ['H', 'D']) where `sizes` gives the sizes already fixed by
 * another weight (null: free). Throws e.g. `expected weight_hh_l0 [H, H] = [4, 4], got [4, 5]`.
 */
function checkShape(name: string, t: tf.Tensor, dims: string[], sizes: Array<number | null>): void {
  const fixed = sizes.some((s) => s !== null);
  const expected = `[${dims.join(', ')}]` + (fixed ? ` = [${sizes.map((s, i) => s ?? dims[i]).join(', ')}]` : '');
  const ok =
    t.rank === dims.length && t.shape.every((s, i) => s > 0 && (sizes[i] === null || s === sizes[i]));
  if (!ok) throw new Error(`expected ${name} ${expected}, got [${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32') throw new Error(`expected ${name} of dtype float32, got ${t.dtype}`);
}

/** A tensor for `value`; new tensors made here are disposed by the caller's tf.tidy. */
function asTensor(name: string, value: WeightInput): tf.Tensor {
  if (Array.isArray(value)) return tf.tensor(value, undefined, 'float32');
  // Duck-typed rather than instanceof, so tensors from another copy of tfjs-core are accepted too.
  if (typeof value !== 'object' || value === null || !('shape' in value) || !('dataSync' in value)) {
    throw new Error(`expected ${name} a tf.Tensor or a number array, got ${value === null ? 'null' : typeof value}`);
  }
  if (value.isDisposed) throw new Error(`expected ${name} a live tensor, got a disposed one`);
  return value;
}

/** Validates a matrix pair M1 [H, X], M2 [H, H] (or transposed: M1 [X, H], M2 [H, H]) and an optional [H]. */
function readWeights(
  names: [string, string, string],
  dims: [string, string],
  values: [WeightInput, WeightInput, WeightInput | null | undefined],
  hAxis: 0 | 1,
): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D | null] {
  const m1 = asTensor(names[0], values[0]);
  checkShape(names[0], m1, dims, [null, null]);
  const H = (m1 as tf.Tensor2D).shape[hAxis];
  const m2 = asTensor(names[1], values[1]);
  checkShape(names[1], m2, ['H', 'H'], [H, H]);
  const v = values[2] ?? null;
  const bias = v === null ? null : asTensor(names[2], v);
  if (bias !== null) checkShape(names[2], bias, ['H'], [H]);
  return [m1 as tf.Tensor2D, m2 as tf.Tensor2D, bias as tf.Tensor1D | null];
}

/** Runs `f` in tf.tidy and keeps its (up to three) results; null entries pass through. */
function tidyTriple<A extends tf.Tensor, B extends tf.Tensor, C extends tf.Tensor>(
  f: () => [A, B, C | null],
): [A, B, C | null] {
  const [a, b, c] = tf.tidy(() => {
    const [x, y, z] = f();
    return z === null ? [x, y] : [x, y, z];
  });
  return [a as A, b as B, (c ?? null) as C | null];
}

/** Textbook (W [H, D], U [H, H], b [H]) → Keras: kernel = Wᵀ, recurrentKernel = Uᵀ, bias = b. */
export function textbookToKeras(weights: TextbookWeightsInput): KerasWeights {
  const [kernel, recurrentKernel, bias] = tidyTriple(() => {
    const [W, U, b] = readWeights(['W', 'U', 'b'], ['H', 'D'], [weights.W, weights.U, weights.b], 0);
    return [W.transpose() as tf.Tensor2D, U.transpose() as tf.Tensor2D, b === null ? null : b.clone()];
  });
  return { kernel, recurrentKernel, bias }; // [D, H], [H, H], [H]
}

/** Keras → textbook: W = kernelᵀ, U = recurrentKernelᵀ, b = bias. */
export function kerasToTextbook(weights: KerasWeightsInput): TextbookWeights {
  const [W, U, b] = tidyTriple(() => {
    const [kernel, recurrentKernel, bias] = readWeights(
      ['kernel', 'recurrentKernel', 'bias'],
      ['D', 'H'],
      [weights.kernel, weights.recurrentKernel, weights.bias],
      1,
    );
    return [kernel.transpose() as tf.Tensor2D, recurrentKernel.transpose() as tf.Tensor2D, bias === null ? null : bias.clone()];
  });
  return { W, U, b }; // [H, D], [H, H], [H]
}

/** PyTorch nn.RNN → Keras: kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = b_ih + b_hh. */
export function pytorchToKeras(weights: PytorchWeightsInput): KerasWeights {
  const [kernel, recurrentKernel, bias] = tidyTriple(() => {
    const [Wih, Whh, bih] = readWeights(
      ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0'],
      ['H', 'D'],
      [weights.weight_ih_l0, weights.weight_hh_l0, weights.bias_ih_l0],
      0,
    );
    const H = Wih.shape[0];
    const v = weights.bias_hh_l0 ?? null;
    const bhh = v === null ? null : asTensor('bias_hh_l0', v);
    if (bhh !== null) checkShape('bias_hh_l0', bhh, ['H'], [H]);
    let bias: tf.Tensor1D | null = null;
    if (bih !== null && bhh !== null) bias = tf.add<tf.Tensor1D>(bih, bhh); // b_ih + b_hh
    else if (bih !== null) bias = bih.clone();
    else if (bhh !== null) bias = bhh.clone() as tf.Tensor1D;
    return [Wih.transpose() as tf.Tensor2D, Whh.transpose() as tf.Tensor2D, bias];
  });
  return { kernel, recurrentKernel, bias }; // [D, H], [H, H], [H]
}

/**
 * Keras → PyTorch nn.RNN: weight_ih_l0 = kernelᵀ, weight_hh_l0 = recurrentKernelᵀ,
 * bias_ih_l0 = bias, bias_hh_l0 = 0 (both null when there is no bias: nn.RNN(bias=False)).
 */
export function kerasToPytorch(weights: KerasWeightsInput): PytorchWeights {
  const [kernel, recurrentKernel, bias] = tidyTriple(() => {
    const [k, rk, b] = readWeights(
      ['kernel', 'recurrentKernel', 'bias'],
      ['D', 'H'],
      [weights.kernel, weights.recurrentKernel, weights.bias],
      1,
    );
    return [k.transpose() as tf.Tensor2D, rk.transpose() as tf.Tensor2D, b === null ? null : b.clone()];
  });
  const bhh = bias === null ? null : tf.zerosLike(bias); // [H]
  return { weight_ih_l0: kernel, weight_hh_l0: recurrentKernel, bias_ih_l0: bias, bias_hh_l0: bhh };
}
