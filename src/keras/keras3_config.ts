/**
 * A tfjs model's config → Keras 3's config.json, as `model.save('x.keras')` writes it (see
 * ../shared/keras_files/k3_bilstm_cristian, k3_functional_bigru_kush): Sequential or Functional, every object wrapped as `{module, class_name, config,
 * registered_name}`, dtype policies, an InputLayer with `batch_shape` first in a Sequential, each
 * layer's `build_config` (Keras builds layers from it before loading weights), Bidirectional with
 * both `layer` (forward_<name>) and `backward_layer` (backward_<name>, go_backwards flipped).
 * Keys Keras 3 does not take (implementation, time_major, input_length, tfjs-only ones) are left
 * out; what Keras 3 cannot compute (tfjs's hardSigmoid, 0.2·x + 0.5) is refused by name.
 */
import * as tf from '@tensorflow/tfjs';
import { GRULayer } from '../layers/gru_layer';
import { LSTMLayer } from '../layers/lstm_layer';
import { SimpleRNNLayer } from '../layers/simple_rnn_layer';
import { isObject, Json, JsonObject } from './layer_config';

/** Our class names → Keras's. */
const KERAS_CLASS: Record<string, string> = { [SimpleRNNLayer.className]: 'SimpleRNN', [LSTMLayer.className]: 'LSTM', [GRULayer.className]: 'GRU' };

const POLICY = (name: Json): JsonObject => ({ module: 'keras', class_name: 'DTypePolicy', config: { name: name ?? 'float32' }, registered_name: null });

/** Keys Keras 3's recurrent layers take (LSTM adds unit_forget_bias, GRU reset_after; gated ones recurrent_activation). */
const RNN_KEYS = [
  'name', 'trainable', 'dtype', 'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'zero_output_for_mask', 'units',
  'activation', 'recurrent_activation', 'use_bias', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer', 'unit_forget_bias',
  'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'recurrent_constraint',
  'bias_constraint', 'dropout', 'recurrent_dropout', 'reset_after', 'seed',
];
/** tfjs-only keys, or ones Keras 3 no longer takes. */
const DROPPED = ['implementation', 'time_major', 'input_length', 'batch_input_shape', 'batch_size', 'input_dtype', 'num_constants', 'dropout_func', 'cell'];

function activation(owner: string, v: Json): Json {
  if (v === 'hard_sigmoid') throw new Error(`layer ${owner}: expected an activation Keras 3 has, got tfjs's hardSigmoid (0.2·x + 0.5, Keras 2's; Keras 3's hard_sigmoid is x/6 + 0.5, 'hardSigmoidKeras3' here)`);
  return v === 'hard_sigmoid_keras3' ? 'hard_sigmoid' : v;
}

/** A serialized object (initializer, regularizer, constraint) in Keras 3's wrapper. */
function wrapObject(v: Json, module: string): Json {
  if (!isObject(v) || typeof v.class_name !== 'string') return v;
  return { module, class_name: v.class_name, config: v.config ?? {}, registered_name: null };
}

function layerConfig(cls: string, config: JsonObject, inputShape: Json): JsonObject {
  const name = String(config.name);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(config)) {
    if (DROPPED.includes(key)) continue;
    if (['SimpleRNN', 'LSTM', 'GRU'].includes(cls) && !RNN_KEYS.includes(key)) continue;
    if (key === 'dtype') out.dtype = POLICY(value);
    else if (key === 'activation' || key === 'recurrent_activation') out[key] = activation(name, value);
    else if (key.endsWith('_initializer')) out[key] = wrapObject(value, 'keras.initializers');
    else if (key.endsWith('_regularizer')) out[key] = wrapObject(value, 'keras.regularizers');
    else if (key.endsWith('_constraint')) out[key] = wrapObject(value, 'keras.constraints');
    else out[key] = value;
  }
  if (out.dtype === undefined) out.dtype = POLICY('float32');
  if (['SimpleRNN', 'LSTM', 'GRU'].includes(cls) && out.seed === undefined) out.seed = null;
  if (cls === 'Bidirectional' && isObject(config.layer)) {
    const inner = config.layer;
    const innerCls = KERAS_CLASS[String(inner.class_name)] ?? String(inner.class_name);
    const innerConfig = inner.config as JsonObject;
    const base = String(innerConfig.name).replace(/^forward_/, '');
    out.layer = wrapLayer(innerCls, { ...innerConfig, name: `forward_${base}` }, inputShape);
    out.backward_layer = wrapLayer(innerCls, { ...innerConfig, name: `backward_${base}`, go_backwards: innerConfig.go_backwards !== true }, inputShape);
  }
  if (cls === 'TimeDistributed' && isObject(config.layer)) {
    const inner = config.layer;
    const innerShape = Array.isArray(inputShape) ? [inputShape[0], ...inputShape.slice(2)] : null;
    out.layer = wrapLayer(KERAS_CLASS[String(inner.class_name)] ?? String(inner.class_name), inner.config as JsonObject, innerShape);
  }
  return out;
}

function wrapLayer(cls: string, config: JsonObject, inputShape: Json): JsonObject {
  const wrapped: JsonObject = { module: 'keras.layers', class_name: cls, config: layerConfig(cls, config, inputShape), registered_name: null };
  if (inputShape !== null && cls !== 'InputLayer') wrapped.build_config = { input_shape: inputShape };
  return wrapped;
}

/**
 * Keras 3's Bidirectional always outputs zeros at masked steps of a returned sequence; a model that
 * carries outputs through there (loaded from standalone Keras ≤ 2.3, or built so in Node) would
 * compute something else in Keras 3: refused, when a mask can reach it.
 */
function refuseCarriedMasks(model: tf.LayersModel): void {
  const masked = model.layers.some((l) => l.getClassName() === 'Masking' || (l.getClassName() === 'Embedding' && l.getConfig().maskZero === true));
  if (!masked) return;
  for (const l of model.layers) {
    if (l.getClassName() !== 'Bidirectional') continue;
    const inner = (l as unknown as { forwardLayer: tf.layers.Layer }).forwardLayer.getConfig();
    if (inner.returnSequences === true && inner.zeroOutputForMask !== true) {
      throw new Error(`layer ${l.name}: expected zeros at masked steps (Keras 3's Bidirectional always gives them with return_sequences), got outputs carried through (Keras ≤ 2.3's semantics), which a Keras 3 file cannot express`);
    }
  }
}

const shapeOf = (t: tf.SymbolicTensor | tf.SymbolicTensor[]): Json => (Array.isArray(t) ? t.map((s) => s.shape) : t.shape) as Json;

/** The layer's config in Keras 3's wrapper; our class names mapped back, user cells refused. */
function kerasLayer(entry: JsonObject, layer: tf.layers.Layer): JsonObject {
  const ours = String(entry.class_name);
  if (ours.startsWith('TfjsRnn') && !(ours in KERAS_CLASS)) throw new Error(`layer ${layer.name}: expected a layer with a Keras class, got ${ours} (a user-defined cell)`);
  if (ours === 'InputLayer') {
    const shape = (entry.config as JsonObject).batch_input_shape ?? null;
    return { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: shape, dtype: 'float32', sparse: false, name: layer.name }, registered_name: null };
  }
  return wrapLayer(KERAS_CLASS[ours] ?? ours, entry.config as JsonObject, shapeOf(layer.input));
}

function sequentialConfig(model: tf.LayersModel, config: JsonObject): JsonObject {
  const entries = (config.layers as JsonObject[]).filter((l) => l.class_name !== 'InputLayer');
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (entries.length !== layers.length) throw new Error(`expected one config per layer, got ${entries.length} for ${layers.length} layers`);
  const input = model.inputs[0];
  const out: JsonObject[] = [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: input.shape, dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null }];
  entries.forEach((entry, i) => out.push(kerasLayer(entry, layers[i])));
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: { name: config.name ?? 'sequential', trainable: true, dtype: POLICY('float32'), layers: out },
    registered_name: null,
    build_config: { input_shape: input.shape as Json },
  };
}

/** Keras 3's node form: `{args: [keras tensor(s)], kwargs}` for tfjs's `[[layer, node, tensor, kwargs], …]`. */
function keras3Node(model: tf.LayersModel, node: Json): JsonObject {
  const refs = (Array.isArray(node) ? node : []) as Json[][];
  const tensors = refs.map(([name, n, t]) => {
    const out = model.getLayer(String(name)).getOutputAt(Number(n));
    const shape = (Array.isArray(out) ? out[Number(t)] : out).shape;
    return { class_name: '__keras_tensor__', config: { shape: shape as Json, dtype: 'float32', keras_history: [name, n, t] } };
  });
  return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} };
}

function functionalConfig(model: tf.LayersModel, config: JsonObject): JsonObject {
  const layers = (config.layers as JsonObject[]).map((entry) => {
    const layer = model.getLayer(String(entry.name));
    const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
    return { ...kerasLayer(entry, layer), name: layer.name, inbound_nodes: nodes.map((n) => keras3Node(model, n)) };
  });
  const one = (refs: Json): Json => (Array.isArray(refs) && refs.length === 1 ? refs[0] : refs);
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: config.name ?? 'functional', trainable: true, layers, input_layers: one(config.input_layers), output_layers: one(config.output_layers) },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}

/** config.json's object for a tf.Sequential or a Functional tf.LayersModel. */
export function keras3Config(model: tf.LayersModel): JsonObject {
  const stored = model.toJSON(null, false) as unknown as JsonObject;
  refuseCarriedMasks(model);
  const config = stored.config as JsonObject;
  return stored.class_name === 'Sequential' ? sequentialConfig(model, config) : functionalConfig(model, config);
}

/** Keras's name for a layer's class (ours mapped back). */
export const kerasClassOf = (layer: tf.layers.Layer): string => KERAS_CLASS[layer.getClassName()] ?? layer.getClassName();
