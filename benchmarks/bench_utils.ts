/** Small helpers shared by the benchmark scripts: seeded data, statistics. */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/** Seeded uniform numbers in [lo, hi). */
export function seededArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = seedrandom(`bench-${seed}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** A seeded uniform tensor. */
export function seededTensor(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const n = shape.reduce((p, s) => p * s, 1);
  return tf.tensor(seededArray(n, seed, lo, hi), shape);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
