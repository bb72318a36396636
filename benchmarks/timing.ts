/** The clock: one timed call, a best-of for rooflines, and the statistics of the samples. */
import * as tf from '@tensorflow/tfjs';
import type { Stat } from './types';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function stat(samples: number[]): Stat {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), reps: samples.length, samplesMs: samples };
}

/** One timed call of run(x): run, read every output back, stop the clock, dispose the outputs. */
export async function timeCall(run: (x: tf.Tensor) => tf.Tensor[], x: tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const outs = run(x);
  await Promise.all(outs.map((o) => o.data()));
  const dt = performance.now() - t0;
  tf.dispose(outs);
  return dt;
}

/**
 * Best time of fn (a roofline is a best case): 2 warm-up calls, then at least 3 timed calls and
 * more while they add up to under 100 ms (at most 30).
 */
export async function bestMs(fn: () => tf.Tensor[]): Promise<number> {
  const ts: number[] = [];
  let total = 0;
  for (let r = 0; r < 32 && (r < 5 || total < 100); r++) {
    const t0 = performance.now();
    const outs = fn();
    await outs[outs.length - 1].data();
    const dt = performance.now() - t0;
    tf.dispose(outs);
    if (r >= 2) {
      ts.push(dt);
      total += dt;
    }
  }
  return Math.min(...ts);
}
