/**
 * Norm-wise relative error max|a − b| / max(max|b|, tiny): the measure every proof reports (the
 * tests and the device run). Element-wise relative error is meaningless for entries near zero, so
 * the difference is scaled by the largest entry of the reference b.
 */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`relErr: expected arrays of equal length, got ${a.length} and ${b.length}`);
  }
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}
