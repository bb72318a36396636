/**
 * Stored weights onto a built tfjs model, layer by layer by name. Within a layer, weights whose
 * stored names say what they are ('…/forward_gru/gru_cell/kernel', '…/moving_mean') are matched
 * by that role (direction inside a Bidirectional + last name part), whatever order they were
 * stored in; Keras 3's positional `vars/<i>` are matched in order (Keras's order of creation,
 * which tfjs keeps). Shapes must agree exactly; a layer of the model with no stored weights, a
 * stored layer the model lacks, or a count that differs is refused, naming layer and weights.
 */
import * as tf from '@tensorflow/tfjs';
import { StoredLayers, StoredWeight } from './h5_weights';

/** 'forward:kernel' for 'bidirectional/forward_gru/gru_cell/kernel:0'. */
function role(name: string): string {
  const parts = name.replace(/:\d+$/, '').split('/');
  const direction = parts.find((p) => p.startsWith('forward_') || p.startsWith('backward_'))?.split('_')[0] ?? '';
  return `${direction}:${parts[parts.length - 1]}`;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** The stored weights of one layer in the order of layer.weights. */
function ordered(source: string, layer: tf.layers.Layer, stored: StoredWeight[]): StoredWeight[] {
  const want = layer.weights;
  const list = (ws: Array<{ name: string; shape: readonly (number | null)[] }>): string => ws.map((w) => `${w.name} ${fmt(w.shape as number[])}`).join(', ');
  if (stored.length !== want.length) {
    throw new Error(`${source}: layer ${layer.name}: expected ${want.length} weights (${list(want.map((w) => ({ name: w.originalName, shape: w.shape })))}), got ${stored.length} (${list(stored)})`);
  }
  const positional = stored.some((s) => /\/vars\/\d+$/.test(s.name));
  const picked = want.map((w, i) => {
    if (positional) return stored[i];
    const r = role(w.originalName);
    const hits = stored.filter((s) => role(s.name) === r);
    if (hits.length !== 1) throw new Error(`${source}: layer ${layer.name}: expected one stored weight for ${w.originalName} (role ${r}), got ${hits.length} among ${list(stored)}`);
    return hits[0];
  });
  picked.forEach((s, i) => {
    const shape = want[i].shape as number[];
    if (s.shape.length !== shape.length || s.shape.some((d, k) => d !== shape[k])) {
      throw new Error(`${source}: layer ${layer.name}: expected ${want[i].originalName} ${fmt(shape)}, got ${s.name} ${fmt(s.shape)}`);
    }
  });
  return picked;
}

/** Sets every weight of model from stored (by layer name); refuses what does not match. */
export function assignWeights(source: string, model: tf.LayersModel, stored: StoredLayers): void {
  const used = new Set<string>();
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const mine = stored.get(layer.name);
    if (mine === undefined || mine.length === 0) {
      const known = [...stored.entries()].filter(([, w]) => w.length > 0).map(([n]) => n);
      throw new Error(`${source}: layer ${layer.name}: expected its ${layer.weights.length} weights in the file, found none (layers with weights there: ${known.join(', ') || 'none'})`);
    }
    used.add(layer.name);
    const values = ordered(source, layer, mine).map((s) => tf.tensor(s.values, s.shape, 'float32'));
    try {
      layer.setWeights(values);
    } finally {
      tf.dispose(values);
    }
  }
  const extra = [...stored.entries()].filter(([n, w]) => w.length > 0 && !used.has(n)).map(([n]) => n);
  if (extra.length > 0) throw new Error(`${source}: expected weights only for the model's layers, got weights for ${extra.join(', ')} too`);
}
