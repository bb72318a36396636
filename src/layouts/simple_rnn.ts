/**
 * Weight layouts for a SimpleRNN, converted to and from the Keras layout our cell uses.
 * B batch, D input features, H units. Each convention, with its equations, is stated here once.
 *
 * Keras / tf.layers (our layout; row vectors, x_t [B, D], h_t [B, H]):
 *   kernel [D, H], recurrentKernel [H, H], bias [H] (or none)
 *   h_t = act(x_t · kernel + h_{t-1} · recurrentKernel + bias)
 *
 * Textbook (the naive numpy loop of Chollet's Deep Learning with Python, as in the project's seed
 * documents ../shared/seeds/000 and 001; column vectors, x_t [D], h_t [H]):
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
 * disposed nor returned. Inputs may be tf.Tensors or plain (nested, rectangular) number arrays,
 * float32. LSTM and GRU: lstm.ts, gru.ts; what the converters share: shared.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { KerasWeights, KerasWeightsInput, moveMatrices, PytorchWeights, PytorchWeightsInput, readKeras, readMatrices } from './shared';
import { checkWeightNames, readOptional, summedBiasKerasToPytorch, summedBiasPytorchToKeras, tidyWeights, WeightInput } from './shared';

export type { KerasWeights, KerasWeightsInput, PytorchWeights, PytorchWeightsInput, WeightInput } from './shared';

/** The textbook layout (column vectors, as in Chollet's numpy loop). */
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

/** Textbook (W [H, D], U [H, H], b [H]) → Keras: kernel = Wᵀ, recurrentKernel = Uᵀ, bias = b. */
export function textbookToKeras(weights: TextbookWeightsInput): KerasWeights {
  return tidyWeights(() => {
    checkWeightNames(weights, ['W', 'U'], ['b']);
    const { input: W, recurrent: U, H } = readMatrices(['W', 'U'], [weights.W, weights.U], 1, 'rows');
    const b = readOptional('b', weights.b, ['H'], [H]);
    const [kernel, recurrentKernel] = moveMatrices(W, U, [0], 'rows');
    return { kernel, recurrentKernel, bias: b === null ? null : (b.clone() as tf.Tensor1D) }; // [D, H], [H, H], [H]
  });
}

/** Keras → textbook: W = kernelᵀ, U = recurrentKernelᵀ, b = bias. */
export function kerasToTextbook(weights: KerasWeightsInput): TextbookWeights {
  return tidyWeights(() => {
    const { kernel, recurrentKernel, bias } = readKeras(weights, 1);
    const [W, U] = moveMatrices(kernel, recurrentKernel, [0], 'columns');
    return { W, U, b: bias === null ? null : bias.clone() }; // [H, D], [H, H], [H]
  });
}

/** PyTorch nn.RNN → Keras: kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = b_ih + b_hh. */
export function pytorchToKeras(weights: PytorchWeightsInput): KerasWeights {
  return summedBiasPytorchToKeras(weights, 1);
}

/**
 * Keras → PyTorch nn.RNN: weight_ih_l0 = kernelᵀ, weight_hh_l0 = recurrentKernelᵀ,
 * bias_ih_l0 = bias, bias_hh_l0 = 0 (both null when there is no bias: nn.RNN(bias=False)).
 */
export function kerasToPytorch(weights: KerasWeightsInput): PytorchWeights {
  return summedBiasKerasToPytorch(weights, 1);
}
