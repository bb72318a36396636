/**
 * Saving for programs without tfjs-rnn. Our layers serialize as `TfjsRnnSimpleRNN`, `TfjsRnnLSTM`,
 * `TfjsRnnGRU`, which only a program that imports tfjs-rnn can load. Their configs and weights are
 * the stock layers' own (the same variables, names and shapes), so under the stock class names
 * (`SimpleRNN`, `LSTM`, `GRU`) stock tf.loadLayersModel builds stock layers that compute the same
 * function. The one form no stock layer runs is a GRU with resetAfter: true; it is written as Keras
 * writes it (class GRU, reset_after: true, bias [2, 3H]), which Keras and tfjs-rnn's
 * loadLayersModel read and tf.loadLayersModel refuses with its own message ("GRUCell does not
 * support reset_after parameter set to true") — `stockLoadable` says so beforehand.
 *
 *   await saveForStock(model, 'file://out');            // model.save with stock class names
 *   const m = await tf.loadLayersModel('file://out/model.json');   // no tfjs-rnn needed
 */
import * as tf from '@tensorflow/tfjs';
import { dropInClassNames } from './drop_in';
import { GRULayer } from './gru_layer';
import './lstm_layer'; // each layer file registers its class (drop_in.ts)
import './simple_rnn_layer';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Our class names and the stock class each stands for. */
const stock = (): Readonly<Record<string, string>> => Object.fromEntries([...dropInClassNames()].map(([k, ours]) => [ours, k]));

/** Activations stock resolves by name (tfjs-layers' registered ones); Keras 3's hard sigmoid is ours only. */
const OURS_ONLY_ACTIVATIONS = ['hardSigmoidKeras3'];

/** A copy of a stored (pythonic) model topology with each of our recurrent layers under its stock class name. */
export function toStockTopology(topology: unknown): unknown {
  return renameClasses(topology, stock());
}

/** A copy of a stored topology with every class_name found in `names` replaced by its value (at any depth). */
export function renameClasses(topology: unknown, names: Readonly<Record<string, string>>): unknown {
  const renamed = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(renamed);
    if (node === null || typeof node !== 'object') return node;
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = key === 'class_name' && typeof value === 'string' && Object.hasOwn(names, value) ? names[value] : renamed(value);
    }
    return out;
  };
  return renamed(topology as Json);
}

/** What in a stored topology stock tf.loadLayersModel cannot build, one line each (empty: it loads). */
export function stockUnloadable(topology: unknown): string[] {
  const found: string[] = [];
  const visit = (node: Json): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const cls = node.class_name;
    const config = node.config;
    if (typeof cls === 'string' && config !== null && typeof config === 'object' && !Array.isArray(config)) {
      const name = typeof config.name === 'string' ? config.name : '?';
      if (cls in stock()) found.push(`${name}: class ${cls} (tfjs-rnn's)`);
      if ((cls === 'GRU' || cls === GRULayer.className) && config.reset_after === true) found.push(`${name}: a GRU with reset_after true`);
      for (const key of ['activation', 'recurrent_activation']) {
        if (typeof config[key] === 'string' && OURS_ONLY_ACTIVATIONS.includes(config[key] as string)) found.push(`${name}: ${key} '${String(config[key])}'`);
      }
    }
    Object.values(node).forEach(visit);
  };
  visit(topology as Json);
  return found;
}

/** Whether stock tf.loadLayersModel can build this topology once toStockTopology has renamed our layers. */
export function stockLoadable(topology: unknown): boolean {
  return stockUnloadable(toStockTopology(topology)).length === 0;
}

/** ModelArtifacts (what model.save hands its handler) with the topology under stock class names. */
export function toStockArtifacts(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const topology = artifacts.modelTopology;
  if (topology == null || topology instanceof ArrayBuffer || typeof topology !== 'object') {
    throw new Error(`expected a layers model's artifacts (a modelTopology object), got ${topology == null ? 'no modelTopology' : 'a graph model'}`);
  }
  return { ...artifacts, modelTopology: toStockTopology(topology) as tf.io.ModelArtifacts['modelTopology'] };
}

/**
 * `model.save(destination, config)` with stock class names: destination a URL ('file://dir', any
 * scheme a tf.io router answers) or an IOHandler.
 */
export async function saveForStock(model: tf.LayersModel, destination: string | tf.io.IOHandler, config?: tf.io.SaveConfig): Promise<tf.io.SaveResult> {
  let handler: tf.io.IOHandler;
  if (typeof destination === 'string') {
    const handlers = tf.io.getSaveHandlers(destination);
    if (handlers.length !== 1) throw new Error(`expected one save handler for ${destination}, got ${handlers.length}`);
    handler = handlers[0];
  } else {
    handler = destination;
  }
  const save = handler.save;
  if (save === undefined) throw new Error('expected an IOHandler with save(), got one without');
  return model.save({ save: (artifacts) => save.call(handler, toStockArtifacts(artifacts)) }, config);
}
