/**
 * `loadLayersModel(pathOrHandler)`: tf.loadLayersModel for models with recurrent layers, which come
 * back as ours. It reads a tfjs layers model — model.json + weight files as `model.save` writes
 * them, or as tensorflowjs_converter writes them from Keras (weights named `gru/gru_cell/kernel`,
 * which tf.layers maps onto `gru/kernel`) — and deserializes every SimpleRNN, LSTM and GRU layer
 * (inside Bidirectional and nested models too) as our drop-in layer. That includes Keras's default
 * GRU, `reset_after: true`, which tf.loadLayersModel refuses ("GRUCell does not support
 * reset_after parameter set to true").
 *
 * A path is read through src/io (the one checked reader): weight paths in the manifest must stay
 * inside model.json's directory (no '../', no absolute path, no links), and files must hold the
 * bytes the manifest declares.
 */
import * as tf from '@tensorflow/tfjs';
import { describe } from '../cells/checks';
import { modelDirectory } from '../io/model_files';
import { readModelArtifacts } from '../io/tfjs_artifacts';
import { checkArtifactWeights } from '../io/weight_checks';
import { isKeras3Topology, loadConvertedKeras3 } from '../keras/converted';
import { dropInClassNames } from './drop_in';
import './gru_layer'; // each layer file registers its class (drop_in.ts)
import './lstm_layer';
import './simple_rnn_layer';
import { renameClasses } from './stock_names';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A copy of a (pythonic, as stored) model topology with each recurrent layer's class_name ours. */
export function withOurLayers(topology: Json): Json {
  return renameClasses(topology, Object.fromEntries(dropInClassNames())) as Json;
}

async function artifactsFrom(from: string | tf.io.IOHandler): Promise<tf.io.ModelArtifacts> {
  if (typeof from === 'string') return readModelArtifacts(modelDirectory(from));
  if (from == null || typeof from !== 'object' || typeof from.load !== 'function') {
    throw new Error(`expected a path to model.json or a tf.io.IOHandler with load(), got ${describe(from)}`);
  }
  return from.load();
}

/**
 * Loads a tfjs layers model with its SimpleRNN, LSTM and GRU layers as ours (gradients by our
 * manual BPTT, GRU resetAfter: true supported). `from`: a path to model.json (or its directory),
 * or a tf.io.IOHandler. The training config, and optimizer weights when saved, come back as
 * tf.loadLayersModel restores them.
 */
export async function loadLayersModel(from: string | tf.io.IOHandler): Promise<tf.LayersModel> {
  const artifacts = await artifactsFrom(from);
  checkArtifactWeights(artifacts); // duplicate weight names and NaN/Infinity refused, naming the weight
  const topology = artifacts.modelTopology;
  if (topology == null || topology instanceof ArrayBuffer || typeof topology !== 'object') {
    throw new Error(`expected a layers model (a modelTopology object, format 'layers-model'), got ${topology == null ? 'no modelTopology' : 'a graph model'}`);
  }
  if (isKeras3Topology(topology as Json)) return loadConvertedKeras3(artifacts, withOurLayers);
  const mapped: tf.io.ModelArtifacts = { ...artifacts, modelTopology: withOurLayers(topology as Json) as tf.io.ModelArtifacts['modelTopology'] };
  return tf.loadLayersModel({ load: async () => mapped });
}
