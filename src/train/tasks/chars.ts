/**
 * A character-level language model on any text: the vocabulary is the text's characters, the
 * first 90 % trains (random windows of T + 1 characters), the last 10 % is held out. The model
 * predicts every next character. Baseline: the unigram model (each character's frequency in the
 * training part) scored on the held-out part; the bar: a held-out loss below it.
 *
 *   x int32 [B, T]     y int32 [B, T]  (x shifted by one)
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, RngState } from '../random';
import type { Batch, DataState, QualityBar, Task } from './task';

const MAX_EVAL_WINDOWS = 64;

export class CharsTask implements Task {
  readonly name = 'chars' as const;
  readonly objective = 'categorical' as const;
  readonly input: { kind: 'tokens'; vocabSize: number };
  readonly outputDim: number;
  readonly returnSequences = true;
  readonly epochSize: number;
  readonly alphabet: string;
  private readonly ids: Int32Array;
  private readonly trainEnd: number;
  private rng: Rng;
  private consumed = 0;

  constructor(
    text: string,
    readonly seqLen: number,
    seed: number,
  ) {
    const chars = Array.from(new Set(Array.from(text))).sort();
    const minLength = 20 * (seqLen + 1);
    const length = Array.from(text).length;
    if (length < minLength) {
      throw new Error(`expected a text of at least ${minLength} characters for --seq-len ${seqLen}, got ${length}`);
    }
    this.alphabet = chars.join('');
    const index = new Map(chars.map((c, i) => [c, i]));
    this.ids = Int32Array.from(Array.from(text), (c) => index.get(c) as number);
    this.trainEnd = Math.floor(this.ids.length * 0.9);
    this.input = { kind: 'tokens', vocabSize: chars.length };
    this.outputDim = chars.length;
    this.epochSize = Math.max(1, Math.floor(this.trainEnd / seqLen));
    this.rng = new Rng(`chars/train/${seed}`);
  }

  private window(start: number, x: Int32Array, y: Int32Array, row: number): void {
    const T = this.seqLen;
    x.set(this.ids.subarray(start, start + T), row * T);
    y.set(this.ids.subarray(start + 1, start + T + 1), row * T);
  }

  nextBatch(batchSize: number): Batch {
    const T = this.seqLen;
    const x = new Int32Array(batchSize * T);
    const y = new Int32Array(batchSize * T);
    for (let b = 0; b < batchSize; b++) this.window(this.rng.int(this.trainEnd - T - 1), x, y, b);
    this.consumed += batchSize;
    return { x: tf.tensor2d(x, [batchSize, T], 'int32'), y: tf.tensor2d(y, [batchSize, T], 'int32') };
  }

  evalBatch(): Batch {
    const T = this.seqLen;
    const n = Math.max(1, Math.min(MAX_EVAL_WINDOWS, Math.floor((this.ids.length - this.trainEnd - 1) / T)));
    const stride = Math.max(1, Math.floor((this.ids.length - this.trainEnd - T - 1) / n));
    const x = new Int32Array(n * T);
    const y = new Int32Array(n * T);
    for (let i = 0; i < n; i++) this.window(Math.min(this.trainEnd + i * stride, this.ids.length - T - 1), x, y, i);
    return { x: tf.tensor2d(x, [n, T], 'int32'), y: tf.tensor2d(y, [n, T], 'int32') };
  }

  async qualityBar(): Promise<QualityBar> {
    const V = this.outputDim;
    const counts = new Float64Array(V).fill(0.5); // add-½ smoothing: unseen characters stay finite
    for (let i = 0; i < this.trainEnd; i++) counts[this.ids[i]]++;
    const total = counts.reduce((s, c) => s + c, 0);
    const { x, y } = this.evalBatch();
    const targets = await y.data();
    tf.dispose([x, y]);
    let nll = 0;
    for (const c of targets) nll -= Math.log(counts[c] / total);
    const baseline = nll / targets.length;
    return {
      metric: 'loss',
      direction: 'below',
      value: baseline,
      baseline,
      text: `held-out loss below the unigram model's ${baseline.toFixed(3)} nats/char (${(baseline / Math.LN2).toFixed(3)} bits/char)`,
    };
  }

  /** Text of a sequence of ids. */
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.alphabet[i]).join('');
  }

  state(): DataState {
    return { rng: this.rng.state(), consumed: this.consumed };
  }

  restore(state: DataState): void {
    this.rng = new Rng('', state.rng as RngState);
    this.consumed = Number(state.consumed);
  }
}
