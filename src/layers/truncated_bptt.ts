/**
 * Truncated BPTT over very long sequences: `fitTruncatedBPTT(model, x, y, { chunkLength: k })`
 * trains a model whose recurrent layers are stateful on consecutive chunks of k time steps, one
 * trainOnBatch per chunk. The forward pass carries the states from chunk to chunk (so the model
 * sees the whole sequence, in order); the gradient flows back through the chunk's own k steps only
 * (the states entering a chunk are held without their history). Memory is that of a k-step batch,
 * whatever T is: x and y themselves, and one chunk's forward tape and BPTT.
 *
 * The model: stateful recurrent layers with a fixed batch size, e.g.
 *   layers.lstm({ units, stateful: true, returnSequences: true, batchInputShape: [B, k, D] })
 * (batchInputShape [B, null, D] lets the last chunk be shorter when k does not divide T), and
 * per-step targets y [B, T, ...].
 */
import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt, describe, fmt } from '../cells/checks';

export interface TruncatedBPTTOptions {
  /** k: time steps per chunk, the length the gradient flows back through. */
  chunkLength: number;
  /** Reset the model's states to zeros (model.resetStates()) before the first chunk. Default true. */
  resetStates?: boolean;
  /** Called after each chunk with its index (0, 1, …) and its loss. */
  onChunkEnd?: (chunk: number, loss: number) => void | Promise<void>;
}

/** Trains `model` on x [B, T, D] against per-step targets y [B, T, ...] in chunks of k steps; returns each chunk's loss. */
export async function fitTruncatedBPTT(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: TruncatedBPTTOptions): Promise<number[]> {
  if (!(model instanceof tf.LayersModel)) throw new Error(`expected a tf.LayersModel, got ${describe(model)}`);
  if (!model.stateful) {
    throw new Error('expected a model with stateful recurrent layers (stateful: true, batchInputShape [B, k, D]), got none: each chunk would start again from zero states');
  }
  if (!(x instanceof tf.Tensor) || x.rank !== 3) throw new Error(`expected x [batch, time, features], got ${x instanceof tf.Tensor ? fmt(x.shape) : describe(x)}`);
  const [B, T, D] = x.shape as [number, number, number];
  if (!(y instanceof tf.Tensor) || y.rank < 2 || y.shape[0] !== B || y.shape[1] !== T) {
    throw new Error(`expected per-step targets y [${B}, ${T}, ...] for x ${fmt(x.shape)}, got ${y instanceof tf.Tensor ? fmt(y.shape) : describe(y)}`);
  }
  const k = checkPositiveInt('chunkLength', options?.chunkLength);
  if (options.resetStates ?? true) model.resetStates();
  const rest = y.shape.slice(2);
  const losses: number[] = [];
  for (let start = 0, chunk = 0; start < T; start += k, chunk++) {
    const len = Math.min(k, T - start);
    const xc = tf.slice(x, [0, start, 0], [B, len, D]); // [B, k, D]
    const yc = tf.slice(y, [0, start, ...rest.map(() => 0)], [B, len, ...rest]); // [B, k, ...]
    let result: number | number[];
    try {
      result = await model.trainOnBatch(xc, yc);
    } finally {
      tf.dispose([xc, yc]);
    }
    const loss = Array.isArray(result) ? result[0] : result;
    losses.push(loss);
    await options.onChunkEnd?.(chunk, loss);
  }
  return losses;
}
