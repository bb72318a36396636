/**
 * Floating-point work of one call, for GFLOP/s and the fraction of the matMul roofline. Only the
 * matMuls count (elementwise work is a few percent). G is the cell's gate count: its kernel is
 * [D, G·H] and its recurrent kernel [H, G·H] (SimpleRNN 1, GRU 3, LSTM 4).
 */
import type { ShapeSpec } from './shapes';
import type { Kind } from './types';

/**
 * forward: x_t·W and h·U at every step, 2·B·T·(D + H)·G·H.
 *
 * train: a training step here computes the WEIGHT gradients, what tf.variableGrads computes for
 * tf.layers/train and autodiff/train (ours/train calls cell.weightGradients): the forward, then
 * dh·Uᵀ, ∂W and ∂U, i.e. 2·B·T·G·H·(2·D + 3·H). Counting ∂x = dA·Wᵀ as well ("3× the forward"),
 * which none of these steps computes, would put a cell at the matMul ceiling above 100%.
 */
export function flopsOf(s: ShapeSpec, kind: Kind, G: number): number {
  const { B, T, D, H } = s;
  return kind === 'forward' ? 2 * B * T * (D + H) * G * H : 2 * B * T * G * H * (2 * D + 3 * H);
}
