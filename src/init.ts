/**
 * Seeded, Keras-like initializers for the recurrent cells.
 *
 *   kernel           [D, H]  glorotUniform: U(-l, l), l = sqrt(6 / (D + H))
 *   recurrentKernel  [H, H]  orthogonal (QR of a seeded normal matrix, as Keras)
 *   bias             [H]     zeros
 *
 * tfjs's own tf.layers default kernel initializer is glorotNormal, so parity tests copy weights
 * rather than relying on equal initial values. We use tfjs's initializers (seeded) instead of
 * writing our own.
 */
import * as tf from '@tensorflow/tfjs';

/** Three seeds derived from one, so kernel and recurrent kernel draws differ. */
function subSeeds(seed: number): [number, number] {
  return [seed * 2 + 1, seed * 2 + 2];
}

export function initKernel(D: number, H: number, seed: number): tf.Tensor2D {
  return tf.initializers.glorotUniform({ seed: subSeeds(seed)[0] }).apply([D, H]) as tf.Tensor2D;
}

export function initRecurrentKernel(H: number, seed: number): tf.Tensor2D {
  return tf.initializers.orthogonal({ seed: subSeeds(seed)[1], gain: 1 }).apply([H, H]) as tf.Tensor2D;
}

export function initBias(H: number): tf.Tensor1D {
  return tf.zeros([H]);
}
