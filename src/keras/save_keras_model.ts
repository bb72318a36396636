/**
 * `saveKerasModel(model, path)`: a Sequential or Functional model (our recurrent layers and stock ones) written as a
 * Keras 3 `.keras` file, the layout `model.save('x.keras')` writes (see the real files in
 * ../shared/keras_files/k3_*): a zip, entries stored uncompressed, of
 *
 *   metadata.json     {"keras_version", "date_saved"}
 *   config.json       keras3_config.ts
 *   model.weights.h5  /layers/<snake_case(class)>[_n]/vars/<i>, sub-objects as child groups
 *                     (RNN: cell/vars; Bidirectional: forward_layer/…, backward_layer/…;
 *                     TimeDistributed: layer/vars), every vars group with its object's `name`
 *                     attr, /vars with the model's name (no optimizer: the model is not compiled).
 *
 * The file is written atomically (a temporary file renamed over the target).
 */
import writeFileAtomic from 'write-file-atomic';
import { zipSync } from 'fflate';
import * as tf from '@tensorflow/tfjs';
import { buildH5, H5Group } from './h5';
import { snakeCase } from './h5_weights';
import { kerasClassOf, keras3Config } from './keras3_config';

/** The Keras version whose layout and semantics the written file follows. */
export const WRITTEN_KERAS_VERSION = '3.8.0';

function writeVars(parent: H5Group, name: string, values: tf.Tensor[]): void {
  const vars = parent.create_group('vars');
  vars.create_attribute('name', name);
  values.forEach((t, i) => vars.create_dataset({ name: String(i), data: t.dataSync() as Float32Array, shape: t.shape, dtype: '<f' }));
}

/** A recurrent layer's group: its own (empty) vars, and cell/vars with kernel, recurrent_kernel, bias. */
function writeRecurrent(group: H5Group, layerName: string, cls: string, values: tf.Tensor[]): void {
  writeVars(group, layerName, []);
  writeVars(group.create_group('cell'), `${snakeCase(cls)}_cell`, values);
}

function writeLayer(group: H5Group, layer: tf.layers.Layer): void {
  const cls = kerasClassOf(layer);
  const values = layer.getWeights(); // the variables' own tensors: read, never disposed
  {
    if (cls === 'SimpleRNN' || cls === 'LSTM' || cls === 'GRU') return writeRecurrent(group, layer.name, cls, values);
    if (cls === 'Bidirectional') {
      const bi = layer as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
      const inner = kerasClassOf(bi.forwardLayer);
      const base = bi.forwardLayer.name.replace(/^forward_/, '');
      writeVars(group, layer.name, []);
      const half = values.length / 2;
      writeRecurrent(group.create_group('forward_layer'), `forward_${base}`, inner, values.slice(0, half));
      writeRecurrent(group.create_group('backward_layer'), `backward_${base}`, inner, values.slice(half));
      return;
    }
    if (cls === 'TimeDistributed') {
      writeVars(group, layer.name, []);
      writeVars(group.create_group('layer'), (layer as unknown as { layer: tf.layers.Layer }).layer.name, values);
      return;
    }
    writeVars(group, layer.name, values);
  }
}

/** model.weights.h5's bytes. */
export function keras3Weights(model: tf.LayersModel): Promise<Uint8Array> {
  return buildH5((file) => {
    const layers = file.create_group('layers');
    const counts = new Map<string, number>();
    // Keras 3 saves a Functional model's input layers too (empty groups); a Sequential's not.
    const sequential = model instanceof tf.Sequential;
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer' && sequential) continue;
      const snake = snakeCase(kerasClassOf(layer));
      const n = counts.get(snake) ?? 0;
      counts.set(snake, n + 1);
      writeLayer(layers.create_group(n === 0 ? snake : `${snake}_${n}`), layer);
    }
    writeVars(file, model.name, []);
  });
}

/** Writes model as a Keras 3 `.keras` file at path (atomically). */
export async function saveKerasModel(model: tf.LayersModel, path: string): Promise<void> {
  if (!(model instanceof tf.LayersModel)) throw new Error(`expected a tf.LayersModel to save, got ${typeof model}`);
  if (typeof path !== 'string' || path === '') throw new Error(`expected a path to write the .keras file to, got ${JSON.stringify(path)}`);
  const config = keras3Config(model);
  const weights = await keras3Weights(model);
  const now = new Date().toISOString();
  const metadata = { keras_version: WRITTEN_KERAS_VERSION, date_saved: `${now.slice(0, 10)}@${now.slice(11, 19)}` };
  const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
  // Keras writes the three entries stored (uncompressed), in this order.
  const zip = zipSync({ 'metadata.json': encode(metadata), 'config.json': encode(config), 'model.weights.h5': weights }, { level: 0 });
  writeFileAtomic.sync(path, Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), { fsync: true });
}
