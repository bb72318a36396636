/**
 * The adding problem (Hochreiter & Schmidhuber 1997, as in Le et al. 2015): each step carries a
 * value u ~ U[0, 1) and a marker; exactly two steps are marked, one in each half of the sequence;
 * the target is the sum of the two marked values. Answering 1.0 always gives MSE Var(u1 + u2) = 1/6
 * ≈ 0.167, the baseline; the bar is 5× better.
 *
 *   x [B, T, 2]  (value, marker)     y [B, 1]
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { GeneratedRealTask } from './generated';
import type { Batch, QualityBar } from './task';

const EVAL_SIZE = 2048;
/** Var(u1 + u2) for u ~ U[0, 1): the MSE of always answering 1.0. */
export const ADDING_BASELINE = 1 / 6;

function makeBatch(rng: Rng, B: number, T: number): Batch {
  const x = new Float32Array(B * T * 2);
  const y = new Float32Array(B);
  const half = Math.max(1, Math.floor(T / 2));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[(b * T + t) * 2] = rng.next();
    const i = rng.int(half);
    const j = T > 1 ? half + rng.int(T - half) : 0;
    x[(b * T + i) * 2 + 1] = 1;
    x[(b * T + j) * 2 + 1] = 1;
    y[b] = x[(b * T + i) * 2] + (i === j ? 0 : x[(b * T + j) * 2]);
  }
  return { x: tf.tensor3d(x, [B, T, 2]), y: tf.tensor2d(y, [B, 1]) };
}

export class AddingTask extends GeneratedRealTask {
  readonly input = { kind: 'real' as const, dim: 2 };

  constructor(seqLen: number, seed: number) {
    super('adding', seqLen, seed, EVAL_SIZE);
  }

  protected generate(rng: Rng, B: number, T: number): Batch {
    return makeBatch(rng, B, T);
  }

  async qualityBar(): Promise<QualityBar> {
    const { x, y } = this.evalBatch();
    const mseT = tf.tidy(() => tf.mean(tf.square(tf.sub(y, 1))));
    const heldOut = (await mseT.data())[0];
    tf.dispose([x, y, mseT]);
    const baseline = ADDING_BASELINE;
    return {
      metric: 'loss',
      direction: 'below',
      value: baseline / 5,
      baseline,
      text: `held-out MSE below ${(baseline / 5).toFixed(4)} (5× better than always answering 1.0: MSE 1/6 ≈ 0.1667; ${heldOut.toFixed(4)} on this held-out set)`,
    };
  }
}
