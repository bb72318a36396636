/**
 * The hard regime's error measure and its verdict over a set, shared by test/hard_regime.test.ts
 * and the fused-kernel tests (test/webgpu_fused*.test.ts).
 */

/** ‖a − b‖₂ / ‖b‖₂. */
export function l2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    n += (a[i] - b[i]) ** 2;
    d += b[i] ** 2;
  }
  return Math.sqrt(n / Math.max(d, 1e-300));
}

/** Round-off floor: errors below it count as equal. */
const FLOOR = 1e-8;

/** ours ÷ autodiff for one output, both measured against the float64 reference. */
export function errorRatio(ours: ArrayLike<number>, autodiff: ArrayLike<number>, reference: ArrayLike<number>): { ratio: number; autodiffError: number } {
  const eo = l2(ours, reference);
  const ea = l2(autodiff, reference);
  return { ratio: (eo + FLOOR) / (ea + FLOOR), autodiffError: ea };
}

/** Geometric mean and maximum of the ratios. */
export function summarize(ratios: number[]): { geomean: number; max: number } {
  return { geomean: Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length), max: Math.max(...ratios) };
}
