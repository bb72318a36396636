import * as tf from '@tensorflow/tfjs';
import { SimpleRNN, initBackend } from 'tfjs-rnn';

async function main(): Promise<void> {
  const info = await initBackend(); // picks CUDA, WebGPU, wasm or cpu, and says which
  console.log(info.summary);

  const cell = new SimpleRNN({ inputDim: 10, units: 3, activation: 'tanh', useBias: true, seed: 1 });
  console.log(cell.countParams()); // 42: kernel [10, 3], recurrentKernel [3, 3], bias [3]

  const x = tf.randomNormal<tf.Rank.R3>([8, 2, 10], 0, 1, 'float32', 7); // [batch, time, features]
  const { sequence, last, tape } = cell.forward(x); // [8, 2, 3] and [8, 3]

  // Manual BPTT: gradients of L = sum(dSequence ⊙ sequence) + sum(dLast ⊙ last).
  const dLast = tf.onesLike(last);
  const g = cell.backward(tape, { dLast });
  console.log(g.kernel.shape, g.recurrentKernel.shape, g.bias?.shape, g.input.shape, g.initialState.shape);
  tape.dispose();

  // Inside a model: cell.apply is differentiable, and its gradient IS the manual BPTT.
  const head = tf.tidy(() => tf.variable(tf.randomNormal([3, 1], 0, 0.1, 'float32', 8)));
  const y = tf.ones([8, 1]);
  const optimizer = tf.train.adam(0.01);
  optimizer.minimize(() => tf.losses.meanSquaredError(y, tf.matMul(cell.apply(x) as tf.Tensor2D, head)) as tf.Scalar);

  tf.dispose([x, sequence, last, dLast, g.kernel, g.recurrentKernel, g.input, g.initialState, y, head]);
  if (g.bias) g.bias.dispose();
  optimizer.dispose();
  cell.dispose();
  console.log(tf.memory().numTensors); // 0: nothing leaked
}

main();
