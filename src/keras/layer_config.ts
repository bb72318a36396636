/**
 * One Keras layer config (Keras 2.0 → 3.x, as model.to_json(), an .h5's model_config, a .keras
 * config.json or tensorflowjs_converter write it) → the pythonic config tf.layers deserializes,
 * with SimpleRNN / LSTM / GRU as they are in Keras (our loader swaps in our layers by class name).
 *
 * What changes, and why:
 * - Keras 3 wrappers `{module, class_name, config, registered_name, build_config}` → `{class_name, config}`;
 * - dtype policies (`{class_name: 'DTypePolicy', config: {name}}`) → the variable dtype: 'float32'
 *   ('mixed_float16' / 'mixed_bfloat16' keep float32 variables; we compute in float32);
 * - `batch_shape` → `batch_input_shape`;
 * - keys tfjs has no option for and whose value changes nothing are dropped: `seed: null`,
 *   `sparse: false`, `optional`, `synchronized: false`, `quantization_config: null`, `lora_rank: null`,
 *   `groups: 1`;
 * - Keras 3's `hard_sigmoid` (x/6 + 0.5) → 'hardSigmoidKeras3' (tfjs's hardSigmoid is Keras 2's);
 * - initializers become LoadedInitializer (zeros at build, the stored one in getConfig): the file's
 *   weights replace them at once;
 * - `zero_output_for_mask` set from the Keras version (see version.ts) where a mask can reach a layer;
 * - Bidirectional: Keras 3's inner name `forward_x` → `x` (tfjs prefixes `forward_` itself), and its
 *   `backward_layer` checked to be the forward layer run backwards (tfjs rebuilds it that way).
 * A class tfjs does not know is refused, naming the layer; so is one of the keys above holding a
 * value that would matter (`groups: 2`, a quantization config).
 */
import * as tf from '@tensorflow/tfjs';
import { loadedInitializer } from './loaded_initializer';
import { isKeras3, KerasVersion, zerosAtMaskedSteps } from './version';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** What a layer's translation depends on beyond its own config. */
export interface LayerContext {
  version: KerasVersion;
  /** Whether the model holds a mask source (Masking, Embedding mask_zero): only then do masked-step outputs matter. */
  masked: boolean;
  /** For messages: the file the config came from. */
  source: string;
}

export const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'];

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

export function refuse(ctx: LayerContext, layer: string, why: string): never {
  throw new Error(`${ctx.source}: layer ${JSON.stringify(layer)}: ${why}`);
}

/** Keys dropped when they hold the value that means "nothing to do" (any value for the first list). */
const DROPPED_ALWAYS = ['module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id', 'optional', 'autocast'];
const DROPPED_WHEN: Record<string, Json[]> = {
  seed: [null],
  sparse: [false],
  ragged: [false],
  synchronized: [false],
  quantization_config: [null],
  lora_rank: [null],
  lora_alpha: [null],
  groups: [1],
  time_major: [false],
};

function dtypeOf(ctx: LayerContext, layer: string, d: Json): Json {
  const name = isObject(d) ? (isObject(d.config) ? d.config.name : null) : d;
  if (name === null || name === undefined) return null;
  if (name === 'float32' || name === 'mixed_float16' || name === 'mixed_bfloat16') return 'float32';
  if (name === 'int32' || name === 'bool') return name;
  return refuse(ctx, layer, `expected dtype float32 (or a mixed policy with float32 variables), got ${JSON.stringify(name)}`);
}

/** A Keras 3 nested object (initializer, regularizer, layer) without its Keras 3 wrapper fields. */
function unwrap(v: Json): Json {
  if (!isObject(v) || typeof v.class_name !== 'string' || !('config' in v)) return v;
  return { class_name: v.class_name, config: v.config };
}

function cleaned(ctx: LayerContext, layer: string, config: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(config)) {
    if (DROPPED_ALWAYS.includes(key)) continue;
    if (key in DROPPED_WHEN) {
      if (DROPPED_WHEN[key].some((v) => v === value)) continue;
      refuse(ctx, layer, `expected ${key} to be ${DROPPED_WHEN[key].map((v) => JSON.stringify(v)).join(' or ')} (tfjs has no such option), got ${JSON.stringify(value)}`);
    }
    if (key === 'dtype') out.dtype = dtypeOf(ctx, layer, value);
    else if (key === 'batch_shape') out.batch_input_shape = value;
    else if (key.endsWith('_initializer')) out[key] = loadedInitializer(unwrap(value)) as Json;
    else out[key] = unwrap(value);
  }
  return out;
}

function recurrentConfig(ctx: LayerContext, cls: string, c: JsonObject, inBidirectional: boolean): JsonObject {
  if (c.implementation === 0) c.implementation = 1; // Keras 2.0's name for the same equations
  if (cls !== 'SimpleRNN' && c.recurrent_activation === 'hard_sigmoid' && isKeras3(ctx.version)) c.recurrent_activation = 'hardSigmoidKeras3';
  c.zero_output_for_mask = ctx.masked && c.return_sequences === true && zerosAtMaskedSteps(ctx.version) && zerosHere(ctx, c, inBidirectional);
  return c;
}

/**
 * Whether a return_sequences layer outputs zeros at masked steps. Keras 3 writes
 * zero_output_for_mask always (Bidirectional sets it to return_sequences), so it is taken as
 * written. tf.keras 2.4–2.x writes it only when true; otherwise Bidirectional forces it on and,
 * for a plain layer, the cuDNN kernel (what a GPU-trained tf.keras model ran) gives zeros: on.
 */
function zerosHere(ctx: LayerContext, c: JsonObject, inBidirectional: boolean): boolean {
  if (typeof c.zero_output_for_mask === 'boolean' && isKeras3(ctx.version)) return c.zero_output_for_mask || inBidirectional;
  return true;
}

/** Fields of a layer config that must agree between Bidirectional's forward and backward layers. */
function sameButDirection(a: JsonObject, b: JsonObject): boolean {
  const canonical = (v: Json): string =>
    isObject(v) ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}` : Array.isArray(v) ? `[${v.map(canonical).join(',')}]` : JSON.stringify(v);
  const strip = (c: JsonObject): string => {
    const { name, go_backwards, ...rest } = c;
    void name;
    void go_backwards;
    return canonical(rest);
  };
  return strip(a) === strip(b) && a.go_backwards !== b.go_backwards;
}

function registered(cls: string): boolean {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown>;
  return cls in map;
}

/** A layer's `{class_name, config}` translated (see the file comment); nested layers too. */
export function translateLayer(ctx: LayerContext, layer: Json, inBidirectional = false): JsonObject {
  if (!isObject(layer) || typeof layer.class_name !== 'string' || !isObject(layer.config)) {
    throw new Error(`${ctx.source}: expected a layer {class_name, config}, got ${JSON.stringify(layer)?.slice(0, 120)}`);
  }
  const cls = layer.class_name;
  const name = typeof layer.config.name === 'string' ? layer.config.name : typeof layer.name === 'string' ? layer.name : cls;
  if (!RECURRENT.includes(cls) && !registered(cls)) {
    refuse(ctx, name, `class ${cls} has no tfjs equivalent (see README, "Keras models")`);
  }
  let c = cleaned(ctx, name, layer.config);
  // Keras 3's hard_sigmoid is x/6 + 0.5 (tfjs's 'hardSigmoid' is Keras 2's 0.2·x + 0.5).
  if (c.activation === 'hard_sigmoid' && isKeras3(ctx.version)) c.activation = 'hardSigmoidKeras3';
  if (RECURRENT.includes(cls)) c = recurrentConfig(ctx, cls, c, inBidirectional);
  if (cls === 'Conv1D' && c.padding === 'causal') refuse(ctx, name, "Conv1D padding 'causal' has no tfjs implementation (tf.layers.conv1d throws on it at predict time)");
  if (cls === 'BatchNormalization' && Array.isArray(c.axis) && c.axis.length === 1) c.axis = c.axis[0];
  if (cls === 'Bidirectional') {
    const inner = translateLayer(ctx, c.layer, true);
    const innerConfig = inner.config as JsonObject;
    if (typeof innerConfig.name === 'string' && innerConfig.name.startsWith('forward_')) innerConfig.name = innerConfig.name.slice('forward_'.length);
    if (c.backward_layer != null) {
      const back = translateLayer(ctx, c.backward_layer, true);
      if (back.class_name !== inner.class_name || !sameButDirection(innerConfig, back.config as JsonObject)) {
        refuse(ctx, name, 'expected backward_layer to be the forward layer run backwards (what tfjs builds), got a different layer');
      }
      delete c.backward_layer;
    }
    c.layer = inner;
  }
  if (cls === 'TimeDistributed') c.layer = translateLayer(ctx, c.layer);
  return { class_name: cls, config: c };
}
