/**
 * A plain autodiff SimpleRNN forward (batch-major, per-step slices, tf.matMul + activation), the
 * comparison point for our manual BPTT: tfjs differentiates it with its own gradients.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../src';

export function autodiffForward(
  x: tf.Tensor3D, // [B, T, D]
  kernel: tf.Tensor2D, // [D, H]
  recurrentKernel: tf.Tensor2D, // [H, H]
  bias: tf.Tensor1D | null, // [H]
  h0: tf.Tensor2D, // [B, H]
  activation: Activation,
): { sequence: tf.Tensor3D; last: tf.Tensor2D } {
  const [B, T, D] = x.shape;
  // Per-step slices (the textbook loop). tf.unstack would do, but its gradient breaks for T = 1.
  const xs = Array.from({ length: T }, (_, t) => tf.reshape(tf.slice(x, [0, t, 0], [B, 1, D]), [B, D]) as tf.Tensor2D);
  let h = h0;
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    let a = tf.add(tf.matMul(xs[t], kernel), tf.matMul(h, recurrentKernel)) as tf.Tensor2D;
    if (bias !== null) a = tf.add(a, bias);
    h = activation === 'tanh' ? tf.tanh(a) : activation === 'relu' ? tf.relu(a) : a;
    hs.push(h);
  }
  return { sequence: tf.stack(hs, 1) as tf.Tensor3D, last: h };
}
