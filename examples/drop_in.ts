/**
 * The drop-in change: a tf.sequential whose recurrent layer is layers.lstm where it was
 * tf.layers.lstm (same args), trained with model.fit — the gradient is our manual BPTT — and then
 * a Keras model with GRU reset_after=True (Keras's default), which tf.loadLayersModel refuses,
 * loaded with our loadLayersModel and run.
 *
 *   npx ts-node --transpile-only examples/drop_in.ts
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel, lstm } from '../src/layers'; // the package exports these as layers.*
import { initBackend } from '../src/platform';

// ---- config ------------------------------------------------------------------------------------
const [N, T, D, H] = [512, 20, 4, 32]; // sequences, steps, features, units
const EPOCHS = 10;
const KERAS_MODEL = path.join(__dirname, '..', 'test', 'fixtures', 'keras_gru_reset_after', 'model.json');
// -------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log((await initBackend()).summary);

  // The task: y = the mean over time of the first feature minus the last step's second.
  const x = tf.randomNormal([N, T, D], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.sub(tf.mean(tf.slice(x, [0, 0, 0], [N, T, 1]), [1, 2]), tf.reshape(tf.slice(x, [0, T - 1, 1], [N, 1, 1]), [N])).reshape([N, 1]));

  const model = tf.sequential();
  const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
  model.add(lstm({ units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', kernelInitializer: seeded(2), recurrentInitializer: seeded(3) })); // was tf.layers.lstm({ ... })
  model.add(tf.layers.dense({ units: 1, kernelInitializer: seeded(4) }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const t0 = performance.now();
  const history = await model.fit(x, y, { epochs: EPOCHS, batchSize: 32, verbose: 0 });
  const loss = history.history.loss as number[];
  console.log(`fit: loss ${loss[0].toFixed(4)} → ${loss[loss.length - 1].toFixed(4)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const keras = await loadLayersModel(KERAS_MODEL); // Bidirectional(GRU reset_after) → GRU(reset_after) → Dense
  keras.summary();
  const probe = tf.ones([1, 6, 3]);
  const p = keras.predict(probe) as tf.Tensor;
  console.log(`Keras GRU reset_after model predicts ${Array.from(await p.data()).map((v) => v.toFixed(4)).join(', ')}`);

  tf.dispose([x, y, probe, p]);
  model.optimizer.dispose(); // a model does not dispose an optimizer it was given
  model.dispose();
  keras.dispose();
  console.log(`live tensors at the end: ${tf.memory().numTensors}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
