/**
 * The seed documents reproduced: ../shared/seeds/, the RNN examples this project starts from.
 * 000 (the naive numpy loop of Chollet's Deep Learning with Python) and 001 (a numpy notebook of
 * the same loop) write the textbook loop (column vectors,
 * output_t = tanh(W·input_t + U·state_t + b)); through textbookToKeras, the float64 reference and the
 * tfjs cell compute the same states. 004 (a numpy SimpleRNN class with a hand-written backward)
 * prints a golden final state; the tfjs cell reproduces it.
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import { referenceForward } from '../src/reference/simple_rnn';
import { textbookToKeras } from '../src/layouts/simple_rnn';
import { backendsUnderTest, expectNoLeak, relErr, seededArray, useBackend } from './helpers';

// Seeds 000/001 use timesteps 100, input_features 32, output_features 64 and np.random.random
// weights in [0, 1), which saturate tanh to exactly 1.0 (seed 001 prints all ones) and so test
// nothing. Here: 10 steps, the same feature sizes, inputs in [0, 1) as there, weights small.
const T = 10;
const D = 32; // input_features
const H = 64; // output_features

const inputs = Float64Array.from(seededArray(T * D, 1, 0, 1)); // [T, D] np.random.random((timesteps, input_features))
const W = Float64Array.from(seededArray(H * D, 2, -0.1, 0.1)); // [H, D]
const U = Float64Array.from(seededArray(H * H, 3, -0.1, 0.1)); // [H, H]
const b = Float64Array.from(seededArray(H, 4, -0.1, 0.1)); // [H]

/** Seeds 000/001's loop, verbatim in float64: output_t = np.tanh(np.dot(W, input_t) + np.dot(U, state_t) + b). */
function textbookLoop(): Float64Array {
  const successiveOutputs = new Float64Array(T * H); // [T, H]
  let state = new Float64Array(H); // state_t = np.zeros((output_features,))
  for (let t = 0; t < T; t++) {
    const output = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      let s = b[i];
      for (let j = 0; j < D; j++) s += W[i * D + j] * inputs[t * D + j]; // (W · input_t)_i
      for (let j = 0; j < H; j++) s += U[i * H + j] * state[j]; // (U · state_t)_i
      output[i] = Math.tanh(s);
    }
    successiveOutputs.set(output, t * H);
    state = output; // the previous output becomes the state
  }
  return successiveOutputs;
}

const expected = textbookLoop(); // [T, H]
const measured: string[] = [];

afterAll(() => {
  console.log(`seeds: ${measured.join('; ')}`);
});

/** The textbook weights converted to Keras layout, as float32 tensors (caller disposes). */
function kerasWeights(): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  const Wt = tf.tensor2d(Float32Array.from(W), [H, D]);
  const Ut = tf.tensor2d(Float32Array.from(U), [H, H]);
  const bt = tf.tensor1d(Float32Array.from(b));
  const keras = textbookToKeras({ W: Wt, U: Ut, b: bt });
  tf.dispose([Wt, Ut, bt]);
  if (keras.bias === null) throw new Error('expected a bias, got null');
  return [keras.kernel, keras.recurrentKernel, keras.bias];
}

test('the example is not saturated: tanh states stay well inside (-1, 1)', () => {
  const maxAbs = Math.max(...Array.from(expected, Math.abs));
  expect(maxAbs).toBeLessThan(0.9);
  expect(maxAbs).toBeGreaterThan(0.1);
});

test('seeds 000/001: the float64 reference on textbookToKeras weights equals the textbook loop (≤ 1e-12)', async () => {
  await expectNoLeak(() => {
    const [kernel, recurrentKernel, bias] = kerasWeights();
    const { sequence } = referenceForward(
      inputs,
      { B: 1, T, D },
      {
        kernel: Float64Array.from(kernel.dataSync()),
        recurrentKernel: Float64Array.from(recurrentKernel.dataSync()),
        bias: Float64Array.from(bias.dataSync()),
        H,
      },
      null,
      'tanh',
    );
    tf.dispose([kernel, recurrentKernel, bias]);
    // The weights are float32 values, so the conversion (a transpose) is exact; only summation order differs.
    const e = relErr(sequence, expected);
    measured.push(`reference vs textbook ${e.toExponential(2)}`);
    expect(e).toBeLessThanOrEqual(1e-12);
  });
});

describe.each(backendsUnderTest())('the tfjs cell on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  test('seeds 000/001: SimpleRNN with textbookToKeras weights equals the textbook loop (float32, ≤ 1e-5)', async () => {
    await expectNoLeak(async () => {
      const cell = new SimpleRNN({ inputDim: D, units: H, activation: 'tanh', useBias: true, seed: 1 });
      const weights = kerasWeights();
      cell.setWeights(weights);
      const x = tf.tensor3d(Float32Array.from(inputs), [1, T, D]); // one sequence, as in the seeds
      const { sequence, last, tape } = cell.forward(x);
      expect(sequence.shape).toEqual([1, T, H]);
      const e = relErr(await sequence.data(), expected);
      measured.push(`${backendName} cell vs textbook ${e.toExponential(2)}`);
      expect(e).toBeLessThanOrEqual(1e-5);
      expect(relErr(await last.data(), expected.subarray((T - 1) * H))).toBeLessThanOrEqual(1e-5);
      tf.dispose([x, sequence, last, ...weights]);
      tape.dispose();
      cell.dispose();
    });
  });

  test('seeds 000/001 unbatched: x [timesteps, input_features] gives the sequence [timesteps, output_features]', async () => {
    await expectNoLeak(async () => {
      const cell = new SimpleRNN({ inputDim: D, units: H, activation: 'tanh', useBias: true, seed: 1 });
      const weights = kerasWeights();
      cell.setWeights(weights);
      const x = tf.tensor2d(Float32Array.from(inputs), [T, D]); // the seeds' `inputs`, no batch axis
      const { sequence, last, tape } = cell.forward(x);
      expect(sequence.shape).toEqual([T, H]); // final_output_sequence, np.stack(successive_outputs)
      expect(last.shape).toEqual([H]); // output_t after the loop
      expect(relErr(await sequence.data(), expected)).toBeLessThanOrEqual(1e-5);
      tf.dispose([x, sequence, last, ...weights]);
      tape.dispose();
      cell.dispose();
    });
  });

  test('seed 004 golden: final hidden state [0.79494228, 0.81839002, 0.83939649, 0.85584174] (to 1e-6)', async () => {
    // Source, /work/shared/seeds/004 (numpy; a_t = x_t @ Wx + h_t @ Wh + b, h_t = tanh(a_t): Keras layout):
    //   x = np.array([[[1, 2], [2, 3], [3, 4]]])/100                          # (batch_size, n_sequences, n_features)
    //   w_x = np.array([[1, 3, 5, 7], [3, 5, 7, 8]])/100                      # (n_features, n_nodes)
    //   w_h = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]])/100  # (n_nodes, n_nodes)
    //   h0 = np.zeros((batch_size, n_nodes)); b = np.array([1, 1, 1, 1])
    //   h_final, h_list = rnn.forward(x, h0); print("Final hidden state:\n", h_final)
    //   Final hidden state:
    //    [[0.79494228 0.81839002 0.83939649 0.85584174]]
    await expectNoLeak(async () => {
      const cell = new SimpleRNN({ inputDim: 2, units: 4, activation: 'tanh', useBias: true, seed: 1 });
      const weights = tf.tidy(() => [
        tf.tensor2d([[1, 3, 5, 7], [3, 5, 7, 8]]).div(100), // [2, 4]  w_x
        tf.tensor2d([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]).div(100), // [4, 4]  w_h
        tf.tensor1d([1, 1, 1, 1]), // [4]  b
      ]);
      cell.setWeights(weights);
      const x = tf.tidy(() => tf.tensor3d([[[1, 2], [2, 3], [3, 4]]]).div(100)); // [1, 3, 2]
      const h0 = tf.zeros([1, 4]); // [1, 4]
      const { sequence, last, tape } = cell.forward(x, h0);
      const golden = [0.79494228, 0.81839002, 0.83939649, 0.85584174];
      expect(last.shape).toEqual([1, 4]);
      const got = await last.data();
      const e = Math.max(...golden.map((v, j) => Math.abs(got[j] - v)));
      measured.push(`${backendName} seed 004 max |diff| ${e.toExponential(2)}`);
      expect(e).toBeLessThan(1e-6);
      tf.dispose([x, h0, sequence, last, ...weights]);
      tape.dispose();
      cell.dispose();
    });
  });
});
