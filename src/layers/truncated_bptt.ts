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

const OPTION_KEYS: ReadonlyArray<keyof TruncatedBPTTOptions> = ['chunkLength', 'resetStates', 'onChunkEnd'];

/** The options checked by type, unknown keys refused (a misspelt one would be ignored); returns k. */
function checkOptions(options: TruncatedBPTTOptions): number {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new Error(`expected options { chunkLength, resetStates?, onChunkEnd? }, got ${describe(options)}`);
  const unknown = Object.keys(options).filter((key) => !(OPTION_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new Error(`expected options among ${OPTION_KEYS.join(', ')}, got unknown ${unknown.map((u) => `'${u}'`).join(', ')}`);
  if (options.resetStates !== undefined && typeof options.resetStates !== 'boolean') throw new Error(`expected resetStates to be true or false, got ${describe(options.resetStates)}`);
  if (options.onChunkEnd !== undefined && typeof options.onChunkEnd !== 'function') throw new Error(`expected onChunkEnd to be a function, got ${describe(options.onChunkEnd)}`);
  return checkPositiveInt('chunkLength', options.chunkLength);
}

/**
 * Before any chunk trains: the model is compiled, and a batchInputShape that fixes the batch or the
 * time dimension takes every chunk (a last, shorter chunk included), so training never stops part-way.
 */
function checkModelFits(model: tf.LayersModel, B: number, T: number, D: number, k: number): void {
  let compiled = true;
  try {
    compiled = model.optimizer != null;
  } catch {
    compiled = false;
  }
  if (!compiled) throw new Error("expected a compiled model (model.compile({ optimizer, loss })), got one that is not compiled");
  const shape = model.inputs[0]?.shape ?? [];
  const shown = `[${shape.map((d) => d ?? 'null').join(', ')}]`;
  const [fixedB, fixedT, fixedD] = shape;
  if (fixedB != null && fixedB !== B) throw new Error(`expected x with the batch size ${fixedB} that batchInputShape ${shown} fixes, got x ${fmt([B, T, D])}`);
  if (fixedD != null && fixedD !== D) throw new Error(`expected x with ${fixedD} features (batchInputShape ${shown}), got x ${fmt([B, T, D])}`);
  const last = T % k === 0 ? k : T % k;
  if (fixedT != null && (fixedT !== k || last !== k)) {
    throw new Error(
      `expected every chunk to be ${fixedT} steps long, as batchInputShape ${shown} fixes, got chunkLength ${k} over T = ${T}` +
        `${last !== k ? ` (the last chunk would be ${last} steps)` : ''}; use batchInputShape [${fixedB ?? 'B'}, null, ${fixedD ?? D}] for a shorter last chunk`,
    );
  }
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
  const k = checkOptions(options);
  checkModelFits(model, B, T, D, k);
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
