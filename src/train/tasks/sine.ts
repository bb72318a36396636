/**
 * Next-value forecasting of noisy sine mixtures: each sequence is a sum of two sines of random
 * period (8..40 steps), amplitude and phase, plus Gaussian noise (σ = 0.05); the target is the
 * value one step after the window. Baseline: persistence (answer the last value seen); the bar is
 * to beat it by 2×.
 *
 *   x [B, T, 1]     y [B, 1]
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { GeneratedRealTask } from './generated';
import type { Batch, QualityBar } from './task';

const EVAL_SIZE = 512;
const NOISE = 0.05;

function makeBatch(rng: Rng, B: number, T: number): Batch {
  const x = new Float32Array(B * T);
  const y = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const comps = [0, 1].map(() => ({
      w: (2 * Math.PI) / rng.uniform(8, 40),
      a: rng.uniform(0.2, 0.6),
      phi: rng.uniform(0, 2 * Math.PI),
    }));
    for (let t = 0; t <= T; t++) {
      let v = NOISE * rng.normal();
      for (const c of comps) v += c.a * Math.sin(c.w * t + c.phi);
      if (t < T) x[b * T + t] = v;
      else y[b] = v;
    }
  }
  return { x: tf.tensor3d(x, [B, T, 1]), y: tf.tensor2d(y, [B, 1]) };
}

export class SineTask extends GeneratedRealTask {
  readonly input = { kind: 'real' as const, dim: 1 };

  constructor(seqLen: number, seed: number) {
    super('sine', seqLen, seed, EVAL_SIZE);
  }

  protected generate(rng: Rng, B: number, T: number): Batch {
    return makeBatch(rng, B, T);
  }

  async qualityBar(): Promise<QualityBar> {
    const { x, y } = this.evalBatch();
    const T = this.seqLen;
    const baselineT = tf.tidy(() => {
      const lastValue = tf.reshape(tf.slice(x, [0, T - 1, 0], [-1, 1, 1]), [-1, 1]);
      return tf.mean(tf.square(tf.sub(y, lastValue)));
    });
    const baseline = (await baselineT.data())[0];
    tf.dispose([x, y, baselineT]);
    return {
      metric: 'loss',
      direction: 'below',
      value: baseline / 2,
      baseline,
      text: `held-out MSE below ${(baseline / 2).toFixed(4)} (2× better than persistence, answering the last value: ${baseline.toFixed(4)})`,
    };
  }
}
