/**
 * Weight layouts for a GRU, converted to and from the Keras layout our cell uses.
 * D input features, H units; every converter returns new tensors the caller disposes.
 *
 * Keras / tf.layers (our layout; row vectors), gate order z, r, h along the 3H axis:
 *   kernel [D, 3H], recurrentKernel [H, 3H], bias [2, 3H] with resetAfter (row 0 b, input side;
 *   row 1 b', recurrent side), [3H] without, or none
 *   resetAfter:  z, r = σ(x_t W_zr + b_zr + h_{t-1} U_zr + b'_zr);  h̃ = tanh(x_t W_h + b_h + r ⊙ (h_{t-1} U_h + b'_h))
 *   otherwise:   h̃ = tanh(x_t W_h + (r ⊙ h_{t-1}) U_h + b_h)
 *   h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃
 *
 * PyTorch nn.GRU, one layer, gate order r, z, n along the 3H axis (n is Keras's h̃):
 *   weight_ih_l0 [3H, D], weight_hh_l0 [3H, H], bias_ih_l0 [3H], bias_hh_l0 [3H] (none when bias=False)
 *   r, z = σ(x_t W_i{r,z}ᵀ + b_i{r,z} + h_{t-1} W_h{r,z}ᵀ + b_h{r,z});  n = tanh(x_t W_inᵀ + b_in + r ⊙ (h_{t-1} W_hnᵀ + b_hn))
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
 * which is Keras's resetAfter form exactly. To Keras: the gate blocks r, z, n become z, r, h (the
 * first two swap), kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = [b_ih; b_hh] (a missing one
 * counts as 0; both missing gives no bias). Both directions are exact.
 *
 * resetAfter false (tf.layers.gru's only form, bias [3H]) applies r before the recurrent product;
 * nn.GRU has no such form, so gruKerasToPytorch refuses it.
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor, checkShape, invertOrder, moveMatrices, PytorchWeights, PytorchWeightsInput, readMatrices } from './shared';
import { checkWeightNames, readPytorch, reorderGates, tidyWeights, WeightInput } from './shared';
import { checkBoolean, checkFields } from '../cells/checks';

/** Keras layout of a resetAfter GRU. */
export interface GRUKerasWeights {
  /** [D, 3H] gate order z, r, h */
  kernel: tf.Tensor2D;
  /** [H, 3H] */
  recurrentKernel: tf.Tensor2D;
  /** [2, 3H]: row 0 the input bias, row 1 the recurrent bias; or null for no bias. */
  bias: tf.Tensor2D | null;
}

export interface GRUKerasWeightsInput {
  kernel: WeightInput;
  recurrentKernel: WeightInput;
  /** [2, 3H] (resetAfter); a [3H] bias (resetAfter false) has no PyTorch form and is refused. */
  bias?: WeightInput | null;
}

/** nn.GRU's state_dict: weight_ih_l0 [3H, D], weight_hh_l0 [3H, H], bias_ih_l0 and bias_hh_l0 [3H] or null. */
export type GRUPytorchWeights = PytorchWeights;
export type GRUPytorchWeightsInput = PytorchWeightsInput;

export interface GRUKerasToPytorchOptions {
  /**
   * The Keras GRU's form. Default: true, or what the bias's shape says ([2, 3H] true, [3H] false).
   * false is refused: it has no nn.GRU equivalent. Without a bias only this tells the forms apart.
   */
  resetAfter?: boolean;
}

const GATES = 3;
/** Keras's gate block k (z, r, h) is PyTorch's block KERAS_FROM_TORCH[k] (of r, z, n). */
const KERAS_FROM_TORCH = [1, 0, 2];
const TORCH_FROM_KERAS = invertOrder(KERAS_FROM_TORCH);

/** PyTorch nn.GRU → Keras (resetAfter): gates r, z, n → z, r, h; kernel [D, 3H], recurrentKernel [H, 3H], bias [2, 3H] = [b_ih; b_hh]. */
export function gruPytorchToKeras(weights: GRUPytorchWeightsInput): GRUKerasWeights {
  return tidyWeights(() => {
    const { Wih, Whh, bih, bhh } = readPytorch(weights, GATES);
    const [kernel, recurrentKernel] = moveMatrices(Wih, Whh, KERAS_FROM_TORCH, 'rows');
    let bias: tf.Tensor2D | null = null;
    if (bih !== null || bhh !== null) {
      const rows = [bih ?? tf.zerosLike(bhh as tf.Tensor1D), bhh ?? tf.zerosLike(bih as tf.Tensor1D)];
      bias = tf.stack(rows.map((b) => reorderGates(b, KERAS_FROM_TORCH, 0))) as tf.Tensor2D; // [2, 3H]
    }
    return { kernel, recurrentKernel, bias };
  });
}

/**
 * Keras GRU (resetAfter) → PyTorch nn.GRU: gates z, r, h → r, z, n; weight_ih_l0 = kernelᵀ,
 * weight_hh_l0 = recurrentKernelᵀ, bias_ih_l0 = bias row 0, bias_hh_l0 = bias row 1 (both null
 * without a bias). A [3H] bias, or resetAfter: false, is refused: nn.GRU cannot express it.
 */
export function gruKerasToPytorch(weights: GRUKerasWeightsInput, options: GRUKerasToPytorchOptions = {}): GRUPytorchWeights {
  checkWeightNames(weights, ['kernel', 'recurrentKernel'], ['bias']);
  const resetAfter = checkBoolean('resetAfter', checkFields('options', options, ['resetAfter'], '{ resetAfter? }', true).resetAfter, true);
  return tidyWeights(() => {
    const { input, recurrent, H } = readMatrices(['kernel', 'recurrentKernel'], [weights.kernel, weights.recurrentKernel], GATES, 'columns');
    const refuse = (given: string): never => {
      throw new Error(
        `expected a resetAfter GRU (bias [2, 3H] = [2, ${3 * H}] or none): nn.GRU applies the reset gate after ` +
          `the recurrent product, so a resetAfter: false GRU has no PyTorch equivalent; got ${given}`,
      );
    };
    if (!resetAfter) refuse('resetAfter: false');
    let bias: tf.Tensor | null = null;
    if (weights.bias !== undefined && weights.bias !== null) {
      bias = asTensor('bias', weights.bias);
      if (bias.rank === 1) refuse(`bias [${bias.shape.join(', ')}]`);
      checkShape('bias', bias, ['2', '3H'], [2, 3 * H]);
    }
    const [weight_ih_l0, weight_hh_l0] = moveMatrices(input, recurrent, TORCH_FROM_KERAS, 'columns');
    if (bias === null) return { weight_ih_l0, weight_hh_l0, bias_ih_l0: null, bias_hh_l0: null };
    const [bih, bhh] = tf.unstack(bias).map((b) => reorderGates(b as tf.Tensor1D, TORCH_FROM_KERAS, 0)); // [3H] each
    return { weight_ih_l0, weight_hh_l0, bias_ih_l0: bih, bias_hh_l0: bhh };
  });
}
