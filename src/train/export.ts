/**
 * Export to the tfjs-layers format, with stock class names and configs: a tf.sequential of
 * Embedding (token inputs), SimpleRNN / LSTM / GRU (inside Bidirectional when the model is), Dense
 * with the output activation, written as model.json + weights.bin (what `model.save('file://…')`
 * writes with tfjs-node; pure @tensorflow/tfjs has no file IO, so the files are written here).
 * The topology is that of the same network built from the stock tf.layers classes; the weights are
 * ours, under the stock network's names.
 *
 * A GRU with resetAfter: true is written as Keras writes it (class GRU, reset_after: true, bias
 * [2, 3H]): stock tf.loadLayersModel refuses it ("GRUCell does not support reset_after parameter
 * set to true"); tfjs-rnn's loadLayersModel reads it. `loadExportedModel` reads with the stock one.
 */
import * as tf from '@tensorflow/tfjs';
import { readModelArtifacts, writeModelFiles } from '..';
import { buildNetwork, cellOf, RnnModel } from './model';

/** One layer as model.json stores it (python-style keys). */
interface StoredLayer {
  class_name: string;
  config: { layer?: StoredLayer; reset_after?: boolean } & Record<string, unknown>;
}

/** The stock network's topology (model.json's modelTopology), with GRU reset_after as the model has it. */
function stockTopology(model: RnnModel, stock: tf.Sequential): tf.io.ModelArtifacts['modelTopology'] {
  const topology = stock.toJSON(null, false) as unknown as { config: { layers: StoredLayer[] } };
  const { d } = cellOf(model.spec);
  if (!stockReadable(model)) {
    // The one form no stock layer runs (GRU reset_after): written as Keras writes it.
    for (const entry of topology.config.layers) {
      const inner = entry.class_name === 'Bidirectional' ? (entry.config.layer as StoredLayer) : entry;
      if (inner.class_name === d.kerasClass) inner.config.reset_after = true;
    }
  }
  return topology as unknown as tf.io.ModelArtifacts['modelTopology'];
}

/** Whether stock tf.loadLayersModel can read what exportLayersModel writes for this model. */
export function stockReadable(model: RnnModel): boolean {
  const { d, o } = cellOf(model.spec);
  return d.stockRuns(o);
}

/** Writes dir/model.json and dir/weights.bin. */
export async function exportLayersModel(model: RnnModel, dir: string): Promise<void> {
  const stock = buildNetwork(model.spec, 'export');
  try {
    const names = stock.weights.map((w) => w.originalName);
    const ourWeights = model.net.weights;
    if (names.length !== ourWeights.length) throw new Error(`expected the stock network to have the model's ${ourWeights.length} weights, got ${names.length}`);
    const { data, specs } = await tf.io.encodeWeights(ourWeights.map((w, i) => ({ name: names[i], tensor: w.read() })));
    // weights first, model.json last, each atomically (the library's writer, src/io/model_files.ts).
    writeModelFiles(dir, {
      modelTopology: stockTopology(model, stock),
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version['tfjs-layers']}`,
      convertedBy: 'tfjs-rnn',
      weightSpecs: specs,
      weightData: data,
    });
  } finally {
    stock.dispose();
  }
}

/**
 * Loads dir/model.json (+ its weight files) with stock tf.loadLayersModel, through the checked
 * reader (src/io/tfjs_artifacts.ts): weight paths stay inside dir, no links, sizes as declared.
 */
export async function loadExportedModel(dir: string): Promise<tf.LayersModel> {
  const artifacts = readModelArtifacts(dir);
  return tf.loadLayersModel({ load: async () => artifacts });
}
