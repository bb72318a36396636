/** Seeded, Keras-like initializers: glorotUniform kernel, orthogonal recurrent kernel, zero bias. */
import * as tf from '@tensorflow/tfjs';
import { GRU, LSTM, SimpleRNN } from '../src';
import { initRecurrentKernel } from '../src/init';

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

test.each([
  [5, 5],
  [4, 16], // an LSTM's [H, 4H]
  [6, 18], // a GRU's [H, 3H]
  [16, 4],
])('the recurrent kernel [%i, %i] is tfjs\'s orthogonal initializer (same seed) to float32 round-off, without its warning', (H, cols) => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const ours = initRecurrentKernel(H, 3, cols);
  expect(warn).not.toHaveBeenCalled();
  warn.mockRestore();
  // Our subSeeds(3)[1] = 3·2 + 2.
  const theirs = tf.initializers.orthogonal({ seed: 8, gain: 1 }).apply([H, cols]) as tf.Tensor2D;
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]);
  expect(diff).toBeLessThan(1e-5);
  // Rows (H ≤ cols) or columns (H > cols) orthonormal.
  const gram = tf.tidy(() => (H <= cols ? tf.matMul(ours, ours, false, true) : tf.matMul(ours, ours, true, false)));
  const eyeErr = tf.tidy(() => tf.max(tf.abs(tf.sub(gram, tf.eye(Math.min(H, cols))))).dataSync()[0]);
  expect(eyeErr).toBeLessThan(1e-6);
  tf.dispose([ours, theirs, gram]);
});

test('gated cells: Keras shapes and parameter counts (LSTM 168, GRU 135 / 126 at units 3, inputDim 10), unit forget bias', () => {
  const lstm = new LSTM({ inputDim: 10, units: 3, seed: 1 });
  expect([lstm.kernel.shape, lstm.recurrentKernel.shape, lstm.bias!.shape]).toEqual([[10, 12], [3, 12], [12]]);
  expect(lstm.countParams()).toBe(168);
  expect(Array.from(lstm.bias!.dataSync())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  const noForget = new LSTM({ inputDim: 10, units: 3, unitForgetBias: false });
  expect(Array.from(noForget.bias!.dataSync())).toEqual(new Array(12).fill(0));
  const gru = new GRU({ inputDim: 10, units: 3, seed: 1 });
  expect([gru.kernel.shape, gru.recurrentKernel.shape, gru.bias!.shape]).toEqual([[10, 9], [3, 9], [2, 9]]);
  expect(gru.countParams()).toBe(135);
  const gruBefore = new GRU({ inputDim: 10, units: 3, resetAfter: false });
  expect(gruBefore.bias!.shape).toEqual([9]);
  expect(gruBefore.countParams()).toBe(126);
  [lstm, noForget, gru, gruBefore].forEach((c) => c.dispose());
});
