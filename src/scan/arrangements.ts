/**
 * Arrangements: how the driver lays out [·, ·, K] tensors (all time steps of one quantity) and cuts
 * them into time steps [B, K] or assembles them from steps. The arithmetic is the same in all three;
 * they differ only in speed, and the backend picks one (measurements in benchmarks/NOTES.md):
 *
 * - cpu: batch-major (the user's layout: no Transpose, which costs tens of ns per element in
 *   tfjs-cpu); steps are cut and assembled by strided copies on the host, once before and once after
 *   each loop.
 * - wasm: time-major (wasm's Transpose is fast); a step is a view of ONE host copy: wasm's Slice,
 *   Gather and Unpack kernels copy the whole source tensor out of wasm memory for every call.
 * - GPU backends (webgpu, tensorflow, webgl): time-major, all on the device; a step is one Slice
 *   kernel, assembling is one Pack kernel.
 *
 * None reads anything back to the host inside a loop: the host copies happen before the loop (of
 * tensors the loop only reads) and after it (of the tensors it made).
 */
import * as tf from '@tensorflow/tfjs';

export type Layout = 'batch-major' | 'time-major';

export interface Arrangement {
  layout: Layout;
  /** The T steps [B, K] of a [·, ·, K] tensor in this layout. */
  steps(x: tf.Tensor3D, B: number, T: number): (t: number) => tf.Tensor2D;
  /** A [·, ·, K] tensor in this layout from T step tensors [B, K]. */
  assemble(steps: tf.Tensor2D[]): tf.Tensor3D;
  /** [first, x_1 .. x_{T-1}] in this layout: the value before each step. x [·, ·, K], first [B, K]. */
  previous(x: tf.Tensor3D, first: tf.Tensor2D, B: number, T: number): tf.Tensor3D;
  /**
   * The rows of x [·, ·, K] (as [N, K]) in consecutive blocks of at most `rows` rows, each [rows, K]
   * or, transposed, [K, rows].
   */
  rowBlocks(x: tf.Tensor3D, rows: number, transposed: boolean): tf.Tensor2D[];
  /** Σ over all rows of x [·, ·, K] → [K], where the arrangement can do it exactly (in float64 on the host). */
  columnSums?(x: tf.Tensor3D): tf.Tensor1D;
}

/** Row blocks by one host copy (host arrangements); transposed blocks are written transposed. */
function rowBlocksOnHost(x: tf.Tensor3D, rows: number, transposed: boolean): tf.Tensor2D[] {
  const K = x.shape[2];
  const N = x.size / K;
  const v = x.dataSync() as Float32Array;
  const out: tf.Tensor2D[] = [];
  for (let r0 = 0; r0 < N; r0 += rows) {
    const n = Math.min(rows, N - r0);
    if (!transposed) {
      out.push(tf.tensor2d(v.subarray(r0 * K, (r0 + n) * K), [n, K]));
      continue;
    }
    const t = new Float32Array(K * n);
    for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) t[k * n + r] = v[(r0 + r) * K + k];
    out.push(tf.tensor2d(t, [K, n]));
  }
  return out;
}

/** Column sums in float64 on the host: exact to the float32 rounding of the result. */
function columnSumsOnHost(x: tf.Tensor3D): tf.Tensor1D {
  const K = x.shape[2];
  const v = x.dataSync() as Float32Array;
  const sums = new Float64Array(K);
  for (let i = 0; i < v.length; i += K) for (let k = 0; k < K; k++) sums[k] += v[i + k];
  return tf.tensor1d(Float32Array.from(sums));
}

/** cpu: batch-major; steps are cut and assembled by strided copies on the host. */
const hostBatchMajor: Arrangement = {
  layout: 'batch-major',
  steps(x, B, T) {
    const v = x.dataSync() as Float32Array;
    const K = x.shape[2];
    const steps: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const out = new Float32Array(B * K);
      for (let b = 0; b < B; b++) out.set(v.subarray((b * T + t) * K, (b * T + t + 1) * K), b * K);
      steps.push(tf.tensor2d(out, [B, K]));
    }
    return (t) => steps[t];
  },
  assemble(steps) {
    const T = steps.length;
    const [B, K] = steps[0].shape;
    const out = new Float32Array(B * T * K);
    steps.forEach((s, t) => {
      const v = s.dataSync() as Float32Array;
      for (let b = 0; b < B; b++) out.set(v.subarray(b * K, (b + 1) * K), (b * T + t) * K);
    });
    return tf.tensor3d(out, [B, T, K]);
  },
  previous(x, first, B, T) {
    // By host copies: a Slice along T of a batch-major tensor goes element by element on cpu.
    const K = x.shape[2];
    const xv = x.dataSync() as Float32Array;
    const fv = first.dataSync() as Float32Array;
    const out = new Float32Array(B * T * K);
    for (let b = 0; b < B; b++) {
      out.set(fv.subarray(b * K, (b + 1) * K), b * T * K);
      out.set(xv.subarray(b * T * K, (b * T + T - 1) * K), (b * T + 1) * K);
    }
    return tf.tensor3d(out, [B, T, K]);
  },
  rowBlocks: rowBlocksOnHost,
  columnSums: columnSumsOnHost,
};

/** wasm: time-major; a step is a view of one host copy; assembled by one Concat. */
const hostTimeMajor: Arrangement = {
  layout: 'time-major',
  steps(x, B, T) {
    const v = x.dataSync() as Float32Array;
    const n = B * x.shape[2];
    const steps: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) steps.push(tf.tensor2d(v.subarray(t * n, (t + 1) * n), [B, x.shape[2]]));
    return (t) => steps[t];
  },
  assemble(steps) {
    return tf.stack(steps) as tf.Tensor3D; // wasm's Concat copies each step once
  },
  previous(x, first, B, T) {
    // One host copy; wasm's Slice would copy all of x out of wasm memory first.
    const n = B * x.shape[2];
    const out = new Float32Array(T * n);
    out.set(first.dataSync() as Float32Array, 0);
    out.set((x.dataSync() as Float32Array).subarray(0, (T - 1) * n), n);
    return tf.tensor3d(out, [T, B, x.shape[2]]);
  },
  rowBlocks: rowBlocksOnHost,
  columnSums: columnSumsOnHost,
};

/** GPU backends: time-major; a step is one Slice kernel; assembled by one Pack kernel. */
const deviceTimeMajor: Arrangement = {
  layout: 'time-major',
  steps(x, B) {
    const K = x.shape[2];
    return (t) => tf.reshape(tf.slice(x, [t, 0, 0], [1, B, K]), [B, K]) as tf.Tensor2D;
  },
  assemble(steps) {
    return tf.stack(steps) as tf.Tensor3D;
  },
  previous(x, first, B, T) {
    const f = tf.expandDims(first, 0) as tf.Tensor3D; // [1, B, K]
    if (T === 1) return f;
    return tf.concat([f, tf.slice(x, [0, 0, 0], [T - 1, B, x.shape[2]])], 0);
  },
  rowBlocks(x, rows, transposed) {
    const K = x.shape[2];
    const N = x.size / K;
    const m = tf.reshape(x, [N, K]);
    const out: tf.Tensor2D[] = [];
    for (let r = 0; r < N; r += rows) {
      const block = tf.slice(m, [r, 0], [Math.min(rows, N - r), K]) as tf.Tensor2D;
      out.push(transposed ? tf.transpose(block) : block);
    }
    return out;
  },
};

export type ArrangementName = 'host-batch-major' | 'host-time-major' | 'device-time-major';
const ARRANGEMENTS: Record<ArrangementName, Arrangement> = {
  'host-batch-major': hostBatchMajor,
  'host-time-major': hostTimeMajor,
  'device-time-major': deviceTimeMajor,
};
let forcedArrangement: ArrangementName | null = null;

/**
 * For tests: run every backend with one arrangement (null: the backend's own). All three are
 * correct on every backend; they differ only in speed.
 */
export function forceArrangement(name: ArrangementName | null): void {
  if (name !== null && !(name in ARRANGEMENTS)) {
    throw new Error(`expected an arrangement (${Object.keys(ARRANGEMENTS).join(', ')}) or null, got ${String(name)}`);
  }
  forcedArrangement = name;
}

export function arrangementFor(backendName: string): Arrangement {
  if (forcedArrangement !== null) return ARRANGEMENTS[forcedArrangement];
  if (backendName === 'cpu') return hostBatchMajor;
  if (backendName === 'wasm') return hostTimeMajor;
  return deviceTimeMajor;
}

/** [B, T, ·] ↔ [T, B, ·] */
export function swapBatchTime(t: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(t, [1, 0, 2]);
}

/** x [B, T, ·] (the user's layout) in layout `layout`; and back (the same swap). */
export function toLayout(x: tf.Tensor3D, layout: Layout): tf.Tensor3D {
  return layout === 'batch-major' ? x : swapBatchTime(x);
}
