/**
 * A synthetic IMDB-shaped sentiment set for seed 002's model (Embedding(5000, 32) → SimpleRNN(100)
 * → Dense(1, sigmoid)): token ids in a vocabulary of 5000 with the Keras IMDB conventions (0 pad,
 * 1 start, 2 out-of-vocabulary), reviews pre-padded to length T (250 by default, as
 * pad_sequences does). A review is 50–100 % of T long; each word is a planted sentiment word with
 * probability 0.25 (ids 3..52 positive, 53..102 negative; it agrees with the review's label with
 * probability 0.9), otherwise a neutral word (ids 103..4999, skewed towards frequent ones). A
 * model that counts polarities over the whole review is nearly always right at T = 250; one that
 * remembers only the last few words is right far less often.
 * Baseline: the majority class (≈ 0.5 accuracy); the bar: accuracy above 0.8.
 *
 *   x int32 [B, T]     y float32 [B, 1] in {0, 1}
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import type { Batch, DataState, QualityBar, Task } from './task';

export const SENTIMENT_VOCAB = 5000;
const POSITIVE = [3, 53]; // [first id, end id)
const NEGATIVE = [53, 103];
const FIRST_NEUTRAL = 103;
const EVAL_SIZE = 500;
/** Fraction of content words that carry sentiment. */
const SENTIMENT_RATE = 0.25;
/** Probability that a sentiment word agrees with the review's label. */
const AGREEMENT = 0.9;

function makeReviews(rng: Rng, N: number, T: number): { ids: Int32Array; labels: Float32Array } {
  const ids = new Int32Array(N * T);
  const labels = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    const label = rng.next() < 0.5 ? 1 : 0;
    const L = Math.max(4, Math.ceil(T * rng.uniform(0.5, 1))); // content length incl. start token
    const start = T - Math.min(L, T);
    const row = ids.subarray(n * T, (n + 1) * T);
    row[start] = 1;
    for (let t = start + 1; t < T; t++) {
      if (rng.next() < SENTIMENT_RATE) {
        const positive = (rng.next() < AGREEMENT) === (label === 1);
        const [lo, hi] = positive ? POSITIVE : NEGATIVE;
        row[t] = lo + rng.int(hi - lo);
      } else {
        row[t] = FIRST_NEUTRAL + Math.floor((SENTIMENT_VOCAB - FIRST_NEUTRAL) * rng.next() ** 3);
      }
    }
    labels[n] = label;
  }
  return { ids, labels };
}

export class SentimentTask implements Task {
  readonly name = 'sentiment' as const;
  readonly objective = 'binary' as const;
  readonly input = { kind: 'tokens' as const, vocabSize: SENTIMENT_VOCAB };
  readonly outputDim = 1;
  readonly returnSequences = false;
  readonly epochSize: number;
  private readonly train: { ids: Int32Array; labels: Float32Array };
  private epoch = 0;
  private index = 0;
  private order: Int32Array;

  constructor(
    readonly seqLen: number,
    private readonly seed: number,
    trainSize = 5000,
  ) {
    if (seqLen < 8) throw new Error(`expected --seq-len ≥ 8 for the sentiment task, got ${seqLen}`);
    this.epochSize = trainSize;
    this.train = makeReviews(new Rng(`sentiment/train/${seed}`), trainSize, seqLen);
    this.order = this.shuffle(0);
  }

  private shuffle(epoch: number): Int32Array {
    return new Rng(`sentiment/shuffle/${this.seed}/${epoch}`).permutation(this.epochSize);
  }

  nextBatch(batchSize: number): Batch {
    const T = this.seqLen;
    const x = new Int32Array(batchSize * T);
    const y = new Float32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      if (this.index === this.epochSize) {
        this.epoch++;
        this.index = 0;
        this.order = this.shuffle(this.epoch);
      }
      const n = this.order[this.index++];
      x.set(this.train.ids.subarray(n * T, (n + 1) * T), b * T);
      y[b] = this.train.labels[n];
    }
    return { x: tf.tensor2d(x, [batchSize, T], 'int32'), y: tf.tensor2d(y, [batchSize, 1]) };
  }

  evalBatch(): Batch {
    const { ids, labels } = makeReviews(new Rng(`sentiment/eval/${this.seed}`), EVAL_SIZE, this.seqLen);
    return { x: tf.tensor2d(ids, [EVAL_SIZE, this.seqLen], 'int32'), y: tf.tensor2d(labels, [EVAL_SIZE, 1]) };
  }

  async qualityBar(): Promise<QualityBar> {
    const { ids, labels } = makeReviews(new Rng(`sentiment/eval/${this.seed}`), EVAL_SIZE, this.seqLen);
    void ids;
    const positive = labels.reduce((s, v) => s + v, 0) / labels.length;
    const baseline = Math.max(positive, 1 - positive);
    return {
      metric: 'accuracy',
      direction: 'above',
      value: 0.8,
      baseline,
      text: `held-out accuracy above 0.80 (majority class: ${baseline.toFixed(3)})`,
    };
  }

  state(): DataState {
    return { epoch: this.epoch, index: this.index };
  }

  restore(state: DataState): void {
    this.epoch = Number(state.epoch);
    this.index = Number(state.index);
    this.order = this.shuffle(this.epoch);
  }
}
