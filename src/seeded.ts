/** Seeded uniform data for tests and benchmarks (one definition, so both draw the same way). */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/** n seeded uniform numbers in [lo, hi). */
export function seededArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = seedrandom(String(seed));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** A seeded uniform tensor. */
export function seededTensor(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const n = shape.reduce((p, s) => p * s, 1);
  return tf.tensor(seededArray(n, seed, lo, hi), shape);
}
