/**
 * Load a Keras model file in Node and predict: `npx ts-node --transpile-only examples/keras_files.ts [file]`.
 * Default: a Keras 3 .keras file from ../shared/keras_files (test data beside the checkout).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadKerasModel } from '../src/keras/load_keras_model';

const FILE = process.argv[2] ?? path.join(__dirname, '..', '..', 'shared', 'keras_files', 'k3_bilstm_cristian', 'bilstm_model.keras');

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const t0 = Date.now();
  const model = await loadKerasModel(FILE);
  console.log(`loaded ${FILE} in ${Date.now() - t0} ms`);
  model.summary();
  const shape = model.inputs[0].shape.map((d, i) => d ?? (i === 0 ? 1 : 5)); // [1, T, D]
  const x = tf.randomUniform(shape, -1, 1, 'float32', 42);
  const y = model.predict(x) as tf.Tensor;
  console.log('prediction', Array.from(await y.data()).slice(0, 8));
  tf.dispose([x, y]);
  model.dispose();
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
