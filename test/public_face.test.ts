/**
 * The package's two entry points (issue 17): `tfjs-rnn` is the library only, at most 40 values,
 * names prefixed by cell where cell-specific; `tfjs-rnn/testing` holds the test oracles (float64
 * references, finite differences, autodiff loops, seeded data). Type-only exports leave no key on
 * the module object, so Object.keys counts the values.
 */
import * as tf from '@tensorflow/tfjs';
import * as face from 'tfjs-rnn';
import * as testing from 'tfjs-rnn/testing';

const values = Object.keys(face).filter((k) => k !== '__esModule');

test('tfjs-rnn has at most 40 value exports: the library, not its oracles', () => {
  expect(values.length).toBeLessThanOrEqual(40);
  // cells, layers (also at the top), layouts, loading and saving, backend choice and the doctor
  for (const name of ['SimpleRNN', 'LSTM', 'GRU', 'RNNTape', 'layers', 'simpleRNN', 'lstm', 'gru', 'rnn',
    'simpleRNNPytorchToKeras', 'lstmPytorchToKeras', 'gruPytorchToKeras', 'loadLayersModel', 'saveForStock', 'SafeDir',
    'initBackend', 'probeWebGPU', 'runDoctor', 'formatDoctorReport']) {
    expect([name, typeof (face as Record<string, unknown>)[name]]).toEqual([name, expect.stringMatching(/function|object/)]);
  }
  // no test oracle and no unprefixed cell-specific name on the main entry
  const oracles = values.filter((k) => /reference|autodiff|finiteDifference|seeded|^scan/i.test(k));
  expect(oracles).toEqual([]);
  expect(values.filter((k) => /^(pytorchToKeras|kerasToPytorch|textbookToKeras|kerasToTextbook)$/.test(k))).toEqual([]);
  // the layers namespace carries the user-cell layer and its registration too
  expect(typeof face.layers.rnn).toBe('function');
  expect(typeof face.layers.registerCell).toBe('function');
  expect(face.lstm).toBe(face.layers.lstm);
});

test('tfjs-rnn/testing has the float64 references, finite differences and autodiff loops', () => {
  for (const cell of ['simpleRNN', 'lstm', 'gru']) {
    for (const part of ['Forward', 'Backward', 'Loss']) expect(typeof (testing as Record<string, unknown>)[`${cell}Reference${part}`]).toBe('function');
  }
  for (const name of ['autodiffSimpleRNN', 'autodiffLSTM', 'autodiffGRU', 'finiteDifferenceGrad', 'seededTensor', 'seededArray']) {
    expect([name, typeof (testing as Record<string, unknown>)[name]]).toEqual([name, 'function']);
  }
  // finite differences of f(p) = p₀² + 3p₁ at (2, 5): (4, 3)
  const g = testing.finiteDifferenceGrad((p) => p[0] * p[0] + 3 * p[1], new Float64Array([2, 5]));
  expect(Math.abs(g[0] - 4)).toBeLessThan(1e-5);
  expect(Math.abs(g[1] - 3)).toBeLessThan(1e-5);
  // seeded data is the same on each call, and another seed gives other values
  const before = tf.memory().numTensors;
  const a = testing.seededTensor([2, 3], 7);
  const b = testing.seededTensor([2, 3], 7);
  const c = testing.seededTensor([2, 3], 8);
  expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
  tf.dispose([a, b, c]);
  expect(tf.memory().numTensors).toBe(before);
});
