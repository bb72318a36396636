/**
 * Python → Node → Python: open a Keras model file, predict, train it a little in Node, and write it
 * back as a Keras 3 .keras file that `keras.models.load_model` opens.
 *
 *   npx ts-node --transpile-only examples/keras_files.ts [model.keras|model.h5] [out.keras]
 *
 * Default input: a Keras 3.8 Bidirectional(LSTM) file of ../shared/keras_files (the test data that
 * sits beside the checkout); default output: a temporary file.
 */
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadKerasModel, saveKerasModel } from '../src';

const FILE = path.join(__dirname, '..', '..', 'shared', 'keras_files', 'k3_bilstm_cristian', 'bilstm_model.keras');
const OUT = path.join(os.tmpdir(), `keras_files_example_${process.pid}.keras`);

export async function main(file = FILE, out = OUT): Promise<{ before: number[]; after: number[]; reloaded: number[] }> {
  await tf.setBackend('cpu');
  let t0 = Date.now();
  const model = await loadKerasModel(file); // format told by the first bytes, not the name
  console.log(`loaded ${file} in ${Date.now() - t0} ms: ${model.layers.map((l) => l.getClassName()).join(' → ')}`);

  const shape = model.inputs[0].shape.map((d, i) => d ?? (i === 0 ? 4 : 5)); // [4, T, D]
  const x = tf.randomUniform(shape, -1, 1, 'float32', 42);
  const y = tf.randomUniform([shape[0], ...(model.outputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 7);
  const predict = async (m: tf.LayersModel): Promise<number[]> => {
    const p = m.predict(x) as tf.Tensor;
    const v = Array.from(await p.data());
    p.dispose();
    return v;
  };
  const before = await predict(model);

  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' }); // Keras's training config is not restored
  await model.fit(x, y, { epochs: 2, verbose: 0 });
  const after = await predict(model);

  t0 = Date.now();
  await saveKerasModel(model, out); // Keras 3 .keras: config.json, metadata.json, model.weights.h5
  console.log(`wrote ${out} in ${Date.now() - t0} ms`);
  const back = await loadKerasModel(out);
  const reloaded = await predict(back);
  console.log(`predictions: loaded ${before[0].toFixed(5)}, trained ${after[0].toFixed(5)}, written and read back ${reloaded[0].toFixed(5)}`);
  tf.dispose([x, y]);
  model.dispose();
  back.dispose();
  return { before, after, reloaded };
}

if (require.main === module) {
  main(process.argv[2] ?? FILE, process.argv[3] ?? OUT).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
