/** What tf.profile says about one call: kernels per time step and peak tensor memory. */
import * as tf from '@tensorflow/tfjs';
import { seededTensor } from '../src/testing';
import type { ShapeSpec } from './shapes';
import type { KernelCount } from './types';

type Run = (x: tf.Tensor) => tf.Tensor[];

function countByName(kernels: { name: string }[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const k of kernels) c[k.name] = (c[k.name] ?? 0) + 1;
  return c;
}

const NO_LAUNCH = new Set(['Reshape', 'Identity']);

/** Whether a tf.profile entry is a kernel launch on the active backend (see KernelCount). */
export function isLaunch(name: string): boolean {
  return !NO_LAUNCH.has(name) && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Kernels per time step: tf.profile at T1 = min(T, profileT) and 2·T1 steps, so fixed costs cancel. */
export async function kernelsPerStep(run: Run, s: ShapeSpec, profileT: number): Promise<KernelCount> {
  const T1 = Math.min(s.T, profileT);
  const T2 = 2 * T1;
  const counts: Record<string, number>[] = [];
  for (const [i, T] of [T1, T2].entries()) {
    const x = seededTensor([s.B, T, s.D], 200 + i); // [B, T, D]
    const info = await tf.profile(() => run(x));
    tf.dispose(info.result as tf.Tensor[]);
    x.dispose();
    counts.push(countByName(info.kernels));
  }
  const byName: Record<string, number> = {};
  for (const name of new Set([...Object.keys(counts[0]), ...Object.keys(counts[1])])) {
    const d = ((counts[1][name] ?? 0) - (counts[0][name] ?? 0)) / (T2 - T1);
    if (d !== 0) byName[name] = d;
  }
  const sum = (o: Record<string, number>, keep: (name: string) => boolean = () => true): number =>
    Object.entries(o).reduce((n, [k, v]) => n + (keep(k) ? v : 0), 0);
  return {
    perStep: sum(byName),
    launchesPerStep: sum(byName, isLaunch),
    byName,
    lengths: [T1, T2],
    atT1: sum(counts[0]),
  };
}

/** Peak tensor bytes of one call above what was live before it. */
export async function peakBytes(run: Run, x: tf.Tensor): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => run(x));
  tf.dispose(info.result as tf.Tensor[]);
  return Math.max(0, info.peakBytes - before);
}
