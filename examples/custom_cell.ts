/**
 * A user-defined cell: IndRNN (Li et al. 2018), each unit its own recurrence,
 *
 *   h_t = relu(x_t · W + u ⊙ h_{t-1} + b)        W [D, H], u [H], b [H]
 *
 * written twice against the public contract (src/cells/user_cell.ts): with its step only (the
 * step's gradient by tfjs autodiff, inside our driver) and with its backward by hand. Both are
 * checked against a float64 loop and against tfjs autodiff of a plain loop, then trained with fit().
 *
 *   npx ts-node --transpile-only examples/custom_cell.ts
 */
import * as tf from '@tensorflow/tfjs';
import { layers } from '../src'; // the package: import { layers } from 'tfjs-rnn'
import type { CellDefinition } from '../src';

// ---- the cell ----------------------------------------------------------------------------------
const parameters: CellDefinition['parameters'] = [
  { name: 'kernel', shape: (D, H) => [D, H], initializer: tf.initializers.glorotUniform({ seed: 6 }), finish: { product: 'input' } }, // p_t = x_t·W, all steps at once
  { name: 'u', shape: (_D, H) => [H], initializer: tf.initializers.randomUniform({ minval: 0, maxval: 1, seed: 7 }) },
  { name: 'bias', shape: (_D, H) => [H] },
];

/** IndRNN, its step only: the driver differentiates the step with tfjs autodiff. */
export const indRNN: CellDefinition = {
  name: 'IndRNN',
  parameters,
  step: (p, [h], w) => [tf.relu(tf.add(tf.add(p, tf.mul(w.u, h)), w.bias)) as tf.Tensor2D], // h_t
};

/** IndRNN with its backward by hand: fully manual BPTT. */
export const indRNNManual: CellDefinition = {
  ...indRNN,
  name: 'IndRNNManual',
  backward({ p, previous: [h], params: w, dStates: [dhNext] }) {
    const a = tf.add(tf.add(p, tf.mul(w.u, h)), w.bias); // a_t  [B, H]
    const da = tf.mul(dhNext, tf.step(a)) as tf.Tensor2D; // backprop through relu
    return {
      dP: da, // ∂L/∂p_t
      dPrevious: [tf.mul(da, w.u) as tf.Tensor2D], // ∂L/∂h_{t-1} = da ⊙ u
      dParams: { u: tf.sum(tf.mul(da, h), 0), bias: tf.sum(da, 0) }, // Σ_batch
    };
  },
};

/** The same recurrence in float64, plain loops: x [B, T, D] row-major; returns h_T [B, H]. */
export function indRNNFloat64(x: Float64Array, B: number, T: number, D: number, W: Float64Array, u: Float64Array, b: Float64Array): Float64Array {
  const H = u.length;
  const h = new Float64Array(B * H);
  for (let t = 0; t < T; t++) {
    const next = new Float64Array(B * H);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < H; j++) {
        let a = u[j] * h[i * H + j] + b[j];
        for (let k = 0; k < D; k++) a += x[(i * T + t) * D + k] * W[k * H + j];
        next[i * H + j] = Math.max(a, 0);
      }
    }
    h.set(next);
  }
  return h;
}

// ---- config ------------------------------------------------------------------------------------
const [N, T, D, H] = [256, 16, 3, 24]; // sequences, steps, features, units
const EPOCHS = 8;
// -------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const x = tf.randomUniform([N, T, D], -1, 1, 'float32', 1);
  const y = tf.sum(tf.slice(x, [0, 0, 0], [N, T, 1]), 1); // the running sum of feature 0  [N, 1]

  for (const cell of [indRNN, indRNNManual]) {
    const model = tf.sequential();
    model.add(layers.rnn({ cell, units: H, inputShape: [T, D] }));
    model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));

    // Forward against the float64 loop, on the first 4 sequences.
    const [W, u, b] = model.layers[0].getWeights().map((w) => Float64Array.from(w.dataSync()));
    const x4 = tf.slice(x, [0, 0, 0], [4, T, D]);
    const ours = (model.layers[0].apply(x4) as tf.Tensor).dataSync();
    const f64 = indRNNFloat64(Float64Array.from(x4.dataSync()), 4, T, D, W, u, b);
    const err = Math.max(...Array.from(f64, (v, i) => Math.abs(ours[i] - v) / (Math.abs(v) + 1e-6)));
    console.log(`${cell.name}: forward vs float64 loop, largest relative error ${err.toExponential(2)}`);

    // ∂(Σ h_T)/∂x against tfjs autodiff of a plain loop of the same step.
    const [Wt, ut, bt] = model.layers[0].getWeights();
    const plain = (xs: tf.Tensor) => {
      let h = tf.zeros([4, H]) as tf.Tensor2D;
      for (const xt of tf.unstack(xs, 1)) h = indRNN.step(tf.matMul(xt, Wt) as tf.Tensor2D, [h], { kernel: Wt, u: ut, bias: bt }, {})[0];
      return tf.sum(h);
    };
    const [gOurs, gPlain] = [tf.grad((xs: tf.Tensor) => tf.sum(model.layers[0].apply(xs) as tf.Tensor))(x4), tf.grad(plain)(x4)];
    console.log(`${cell.name}: ∂x vs tfjs autodiff, largest difference ${tf.max(tf.abs(tf.sub(gOurs, gPlain))).dataSync()[0].toExponential(2)}`);

    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const history = await model.fit(x, y, { epochs: EPOCHS, batchSize: 32, shuffle: false, verbose: 0 });
    const loss = history.history.loss as number[];
    console.log(`${cell.name}: fit loss ${loss[0].toFixed(4)} → ${loss[loss.length - 1].toFixed(4)}`);
    model.dispose();
    x4.dispose();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
