/**
 * Weight layouts for an LSTM, converted to and from the Keras layout our cell uses.
 * D input features, H units; every converter returns new tensors the caller disposes.
 *
 * Keras / tf.layers (our layout; row vectors), gate order i, f, c, o along the 4H axis:
 *   kernel [D, 4H], recurrentKernel [H, 4H], bias [4H] (or none)
 *   z = x_t · kernel + h_{t-1} · recurrentKernel + bias;  i, f, o = σ(z_i, z_f, z_o), c̃ = tanh(z_c)
 *
 * PyTorch nn.LSTM, one layer, gate order i, f, g, o along the 4H axis (g is Keras's c̃: the same order):
 *   weight_ih_l0 [4H, D], weight_hh_l0 [4H, H], bias_ih_l0 [4H], bias_hh_l0 [4H] (none when bias=False)
 *   z = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
 *   To Keras: kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = b_ih + b_hh (a missing one counts as 0;
 *   both missing gives no bias). Back: bias_ih_l0 = bias, bias_hh_l0 = 0, as for nn.RNN
 *   (src/layouts/simple_rnn.ts): Keras → PyTorch → Keras is exact; PyTorch → Keras → PyTorch keeps
 *   b_ih + b_hh, and so every output, but not the split.
 */
import { KerasWeights, KerasWeightsInput, PytorchWeights, PytorchWeightsInput, summedBiasKerasToPytorch, summedBiasPytorchToKeras } from './shared';

/** Keras layout of an LSTM: kernel [D, 4H], recurrentKernel [H, 4H], bias [4H] or null. */
export type LSTMKerasWeights = KerasWeights;
export type LSTMKerasWeightsInput = KerasWeightsInput;
/** nn.LSTM's state_dict: weight_ih_l0 [4H, D], weight_hh_l0 [4H, H], bias_ih_l0 and bias_hh_l0 [4H] or null. */
export type LSTMPytorchWeights = PytorchWeights;
export type LSTMPytorchWeightsInput = PytorchWeightsInput;

const GATES = 4;

/** PyTorch nn.LSTM → Keras: kernel = W_ihᵀ [D, 4H], recurrentKernel = W_hhᵀ [H, 4H], bias = b_ih + b_hh [4H]. */
export function lstmPytorchToKeras(weights: LSTMPytorchWeightsInput): LSTMKerasWeights {
  return summedBiasPytorchToKeras(weights, GATES);
}

/** Keras → PyTorch nn.LSTM: weight_ih_l0 = kernelᵀ, weight_hh_l0 = recurrentKernelᵀ, bias_ih_l0 = bias, bias_hh_l0 = 0. */
export function lstmKerasToPytorch(weights: LSTMKerasWeightsInput): LSTMPytorchWeights {
  return summedBiasKerasToPytorch(weights, GATES);
}
