/**
 * Gradient flow: ‖∂L/∂h_t‖ for t = 1..T on one batch, from our manual BPTT. The head's gradient
 * (∂L/∂last or ∂L/∂sequence) comes from tfjs autodiff; the cell's backward() carries it back
 * through time and returns the total ∂L/∂h_t at every step (returnStateGradients).
 */
import * as tf from '@tensorflow/tfjs';
import type { RnnModel } from './model';

/** Frobenius norm over the batch of ∂L/∂h_t, for t = 1..T. */
export async function gradientFlow(model: RnnModel, x: tf.Tensor, y: tf.Tensor): Promise<number[]> {
  const input = tf.tidy(() => model.embed(x)); // [B, T, D]
  const { sequence, last, tape } = model.cell.forward(input);
  try {
    const seqOut = model.spec.returnSequences;
    const upstream = tf.tidy(() => tf.grad((h: tf.Tensor) => model.lossOf(model.head(h), y))(seqOut ? sequence : last));
    const grads = model.cell.backward(tape, seqOut ? { dSequence: upstream } : { dLast: upstream }, { returnStateGradients: true });
    const state = grads.state as tf.Tensor; // [B, T, H]
    const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(state), [0, 2]))); // [T]
    const out = Array.from(await norms.data()); // async: webgpu has no synchronous read
    tf.dispose([upstream, norms, grads.kernel, grads.recurrentKernel, grads.input, grads.initialState, state]);
    if (grads.bias !== null) grads.bias.dispose();
    return out;
  } finally {
    tape.dispose();
    tf.dispose([sequence, last]);
    if (input !== x) input.dispose(); // real-valued inputs go in as they are
  }
}
