/**
 * Seeded, Keras-like initializers for the recurrent cells (G gates: 1 SimpleRNN, 3 GRU, 4 LSTM).
 *
 *   kernel           [D, G·H]  glorotUniform: U(-l, l), l = sqrt(6 / (D + G·H))
 *   recurrentKernel  [H, G·H]  orthogonal (Q of the QR of a seeded normal matrix, as Keras and tfjs)
 *   bias             [G·H]     zeros (LSTM: ones in the forget block when unitForgetBias)
 *
 * tfjs's own tf.layers default kernel initializer is glorotNormal, so parity tests copy weights
 * rather than relying on equal initial values.
 */
import * as tf from '@tensorflow/tfjs';

/** Two seeds derived from one, so kernel and recurrent kernel draws differ. */
function subSeeds(seed: number): [number, number] {
  return [seed * 2 + 1, seed * 2 + 2];
}

/** [D, columns] glorotUniform (tfjs's, seeded). */
export function initKernel(D: number, columns: number, seed: number): tf.Tensor2D {
  return tf.initializers.glorotUniform({ seed: subSeeds(seed)[0] }).apply([D, columns]) as tf.Tensor2D;
}

/**
 * [H, columns] orthogonal, as tfjs's tf.initializers.orthogonal defines it: Q of the QR
 * factorisation (R with a positive diagonal, which makes Q unique) of the same seeded normal
 * matrix [max, min], transposed when H < columns. tfjs computes it with linalg.qr, tens of kernels
 * per column, which takes seconds for a 256-unit LSTM and warns "Slowness may result"; here it is
 * modified Gram-Schmidt, twice over, in float64 on the host: the same Q to float32 round-off.
 */
export function initRecurrentKernel(H: number, seed: number, columns: number = H): tf.Tensor2D {
  const n = Math.min(H, columns);
  const m = Math.max(H, columns);
  // The normal draws are made on the host by tfjs's seeded generator, so dataSync reads them back
  // without waiting on any device (webgpu included).
  const a = tf.randomNormal([m, n], 0, 1, 'float32', subSeeds(seed)[1]);
  const A = Float64Array.from(a.dataSync());
  a.dispose();
  const q = orthonormalColumns(A, m, n); // [m, n]
  const out = new Float32Array(H * columns);
  if (H >= columns) out.set(q);
  else for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = q[i * n + j]; // Qᵀ
  return tf.tensor2d(out, [H, columns]);
}

/** The Q of A = QR (A [m, n] row-major, m ≥ n, R's diagonal positive): Gram-Schmidt, reorthogonalised. */
function orthonormalColumns(A: Float64Array, m: number, n: number): Float64Array {
  const Q = new Float64Array(m * n);
  const v = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) v[i] = A[i * n + j];
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let r = 0;
        for (let i = 0; i < m; i++) r += Q[i * n + k] * v[i];
        for (let i = 0; i < m; i++) v[i] -= r * Q[i * n + k];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) Q[i * n + j] = v[i] / norm;
  }
  return Q;
}

export function initBias(H: number): tf.Tensor1D {
  return tf.zeros([H]);
}
