/**
 * A translated Keras model config → a tf.LayersModel with our SimpleRNN / LSTM / GRU layers, and
 * the list of top-level layers (name, class) that weight readers match groups against.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConfigLayer } from './h5_weights';
import { isObject, Json } from './layer_config';
import { whileBuilding } from './loaded_initializer';
import { translateModel } from './model_config';
import type { KerasVersion } from './version';

/** The top-level layers of a (raw, untranslated) Keras model config, in order. */
export function configLayers(model: Json): ConfigLayer[] {
  if (!isObject(model)) return [];
  const c = model.config;
  const list = Array.isArray(c) ? c : isObject(c) && Array.isArray(c.layers) ? c.layers : [];
  return list.filter(isObject).map((l) => {
    const config = isObject(l.config) ? l.config : {};
    const inner = isObject(config.layer) ? config.layer.class_name : undefined;
    const name = typeof config.name === 'string' ? config.name : String(l.name);
    return { name, className: String(l.class_name), innerClassName: typeof inner === 'string' ? inner : undefined };
  });
}

/** The inner layers' names of wrappers (Bidirectional's forward/backward layer, TimeDistributed's layer) → the wrapper's name. */
export function innerNames(model: Json): Map<string, string> {
  const out = new Map<string, string>();
  if (!isObject(model)) return out;
  const c = model.config;
  const list = Array.isArray(c) ? c : isObject(c) && Array.isArray(c.layers) ? c.layers : [];
  for (const l of list) {
    if (!isObject(l) || !isObject(l.config)) continue;
    const wrapper = String(l.config.name ?? l.name);
    for (const key of ['layer', 'backward_layer']) {
      const inner = l.config[key];
      if (isObject(inner) && isObject(inner.config) && typeof inner.config.name === 'string') {
        out.set(inner.config.name, wrapper);
        // Keras 2's Bidirectional names its halves forward_<name> / backward_<name> in weight names.
        if (key === 'layer') for (const side of ['forward_', 'backward_']) out.set(side + inner.config.name.replace(/^forward_/, ''), wrapper);
      }
    }
  }
  return out;
}

/** Swaps stock recurrent classes for ours in a topology (src/layers' withOurLayers, passed in to keep imports one-way). */
export type LayerSwap = (topology: Json) => Json;

/** The model (weights freshly initialised) for a Keras model config. */
export async function buildModel(source: string, version: KerasVersion, model: Json, swap: LayerSwap): Promise<tf.LayersModel> {
  const translated = translateModel({ version, source }, model);
  try {
    return await whileBuilding(() => tf.models.modelFromJSON({ modelTopology: swap(translated) as tf.io.ModelJSON['modelTopology'] }));
  } catch (e) {
    throw new Error(`${source}: expected a model tfjs can build from its config, got: ${(e as Error).message}`);
  }
}
