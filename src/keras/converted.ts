/**
 * tensorflowjs_converter output of a Keras 3 model, which tf.loadLayersModel cannot take: the
 * topology goes through the same translation as a .keras file's config, and the weights (named
 * 'sequential_4/lstm_8/lstm_cell/kernel', or 'forward_gru/gru_cell/kernel' for a Bidirectional's
 * half) are grouped by the layer they belong to and matched by role (match_weights.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, configLayers, innerNames, LayerSwap } from './build_model';
import type { StoredLayers } from './h5_weights';
import { isObject, Json } from './layer_config';
import { assignWeights } from './match_weights';
import { isKeras3, parseVersion } from './version';

function modelConfigOf(topology: Json): Json {
  return isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
}

/** Whether a tfjs modelTopology was converted from a Keras 3 model. */
export function isKeras3Topology(topology: Json): boolean {
  return isObject(topology) && isKeras3(parseVersion(topology.keras_version, modelConfigOf(topology)));
}

/** The manifest's weights grouped by top-level layer (a model-name prefix dropped). */
function groupWeights(source: string, model: Json, named: tf.NamedTensorMap): StoredLayers {
  const layers = new Set(configLayers(model).map((l) => l.name));
  const inner = innerNames(model);
  const modelName = isObject(model) && isObject(model.config) ? model.config.name : undefined;
  const out: StoredLayers = new Map();
  for (const [name, t] of Object.entries(named)) {
    let parts = name.split('/');
    if (parts[0] === modelName && !layers.has(parts[0])) parts = parts.slice(1);
    const layer = layers.has(parts[0]) ? parts[0] : inner.get(parts[0]);
    if (layer === undefined) throw new Error(`${source}: weight ${name}: expected it to belong to a layer of the model, got no layer ${parts[0]}`);
    const list = out.get(layer) ?? [];
    list.push({ name: parts.join('/'), shape: t.shape, values: t.dataSync() as Float32Array });
    out.set(layer, list);
  }
  return out;
}

/** The model for converter artifacts whose topology isKeras3Topology. */
export async function loadConvertedKeras3(artifacts: tf.io.ModelArtifacts, swap: LayerSwap, source = 'model.json'): Promise<tf.LayersModel> {
  const topology = artifacts.modelTopology as Json;
  const config = modelConfigOf(topology);
  const version = parseVersion(isObject(topology) ? topology.keras_version : undefined, config);
  const model = await buildModel(source, version, config, swap);
  const specs = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
  const named = artifacts.weightData === undefined ? {} : tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs ?? []);
  try {
    const kept: tf.NamedTensorMap = {};
    for (const s of specs) kept[s.name] = named[s.name];
    assignWeights(source, model, groupWeights(source, config, kept));
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(named));
  }
  return model;
}
