/** Seeded, Keras-like initializers: glorotUniform kernel, orthogonal recurrent kernel, zero bias. */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('the same seed gives the same weights; another seed gives others', () => {
  const a = new SimpleRNN({ inputDim: 10, units: 3, seed: 5 });
  const b = new SimpleRNN({ inputDim: 10, units: 3, seed: 5 });
  const c = new SimpleRNN({ inputDim: 10, units: 3, seed: 6 });
  expect(Array.from(a.kernel.dataSync())).toEqual(Array.from(b.kernel.dataSync()));
  expect(Array.from(a.recurrentKernel.dataSync())).toEqual(Array.from(b.recurrentKernel.dataSync()));
  expect(Array.from(a.kernel.dataSync())).not.toEqual(Array.from(c.kernel.dataSync()));
  expect(Array.from(a.recurrentKernel.dataSync())).not.toEqual(Array.from(c.recurrentKernel.dataSync()));
  [a, b, c].forEach((cell) => cell.dispose());
});

test('kernel is glorotUniform: inside ±sqrt(6 / (D + H)) and spread over it', () => {
  const [D, H] = [40, 30];
  const cell = new SimpleRNN({ inputDim: D, units: H, seed: 1 });
  const limit = Math.sqrt(6 / (D + H));
  const v = cell.kernel.dataSync();
  expect(Math.max(...v)).toBeLessThanOrEqual(limit);
  expect(Math.min(...v)).toBeGreaterThanOrEqual(-limit);
  // Uniform on [-l, l] has standard deviation l / sqrt(3).
  const sd = Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0) / v.length);
  expect(sd).toBeGreaterThan(0.9 * (limit / Math.sqrt(3)));
  expect(sd).toBeLessThan(1.1 * (limit / Math.sqrt(3)));
  cell.dispose();
});

test('recurrent kernel is orthogonal (UᵀU = I) and bias is zeros', () => {
  const cell = new SimpleRNN({ inputDim: 4, units: 16, seed: 2 });
  const err = tf.tidy(() => {
    const U = cell.recurrentKernel;
    return tf.max(tf.abs(tf.sub(tf.matMul(U, U, true, false), tf.eye(16)))).dataSync()[0];
  });
  expect(err).toBeLessThan(1e-5);
  expect(Array.from(cell.bias!.dataSync())).toEqual(new Array(16).fill(0));
  cell.dispose();
});

test('useBias: false has no bias variable and counts D·H + H·H parameters', () => {
  const cell = new SimpleRNN({ inputDim: 10, units: 3, useBias: false });
  expect(cell.bias).toBeNull();
  expect(cell.countParams()).toBe(39);
  expect(cell.trainableWeights.length).toBe(2);
  cell.dispose();
});
