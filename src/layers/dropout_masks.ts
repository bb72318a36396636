/**
 * The dropout masks of one training call, drawn as tf.layers' cells draw them (generateDropoutMask):
 * `count` masks per kind (SimpleRNN 1, GRU 3, LSTM 4), each dropoutFunc(ones, rate) — or
 * tf.dropout(ones, rate) —, inputs' first, then the recurrent state's; the first of each is used,
 * fixed across time steps. So one deterministic dropoutFunc gives ours and stock the same masks.
 * With a seed (Keras 3's key) the default draws are seeded, each from the next number of a
 * seeded stream.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

export type DropoutFunc = (ones: tf.Tensor, rate: number) => tf.Tensor;

export interface DropoutConfig {
  dropout: number;
  recurrentDropout: number;
  dropoutFunc: DropoutFunc | null;
  /** Masks drawn per kind, as the stock cell draws them. */
  count: number;
  /** The stream of seeds of the default draws, or null (unseeded). */
  rng: seedrandom.PRNG | null;
}

/** A seeded stream for the layer's seed, or null. */
export function seedStream(seed: number | null | undefined): seedrandom.PRNG | null {
  return seed == null ? null : seedrandom(`tfjs-rnn dropout ${seed}`);
}

function drawFirst(c: DropoutConfig, rate: number, shape: [number, number]): tf.Tensor2D {
  let first: tf.Tensor | null = null;
  for (let k = 0; k < c.count; k++) {
    const ones = tf.ones(shape);
    const m = c.dropoutFunc !== null ? c.dropoutFunc(ones, rate) : tf.dropout(ones, rate, undefined, c.rng === null ? undefined : Math.floor(c.rng() * 2 ** 31));
    if (first === null) first = m;
  }
  const m = first as tf.Tensor;
  if (m.rank !== 2 || m.shape[0] !== shape[0] || m.shape[1] !== shape[1]) throw new Error(`expected dropoutFunc to return a mask [${shape.join(', ')}], got [${m.shape.join(', ')}]`);
  return tf.cast(m, 'float32') as tf.Tensor2D;
}

/** The constants of one training call: 'input' [B, D] and 'recurrent' [B, H] where the rates are set. */
export function dropoutConstants(c: DropoutConfig, B: number, D: number, H: number): Record<string, tf.Tensor2D> {
  const out: Record<string, tf.Tensor2D> = {};
  if (c.dropout > 0) out.input = drawFirst(c, c.dropout, [B, D]);
  if (c.recurrentDropout > 0) out.recurrent = drawFirst(c, c.recurrentDropout, [B, H]);
  return out;
}
