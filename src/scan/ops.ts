/**
 * Backend-tuned primitives the time-step driver and the cells' step math are written in. The
 * arithmetic is the same on every backend; what differs is which tfjs kernels do it fastest
 * (measurements in benchmarks/NOTES.md):
 *
 * - wasm's fused matMul takes only a rank-1 bias, so act(a·b + c) with a full-shape c is a matMul,
 *   an add and the activation there, and one fused kernel elsewhere;
 * - wasm runs matMul's transpose flags on a slow scalar path: transposes are explicit there.
 *
 * - the weight gradients are sums over all T·B rows (Xᵀ·dA). wasm's matMul (XNNPACK) and the GPU
 *   backends' accumulate an inner dimension in one running sum, so one matMul over all rows has
 *   √(T·B)-like round-off, where tfjs autodiff, summing per-step products, has about √B + √T (up
 *   to 5× less at T·B = 6400). So on wasm the rows are cut on the host into blocks of whole steps
 *   (~64 rows, blockSteps) and the blocks' products added by one AddN, as autodiff adds its
 *   per-step products; on a GPU one batched matMul forms the per-step products and a
 *   reduction (a tree on the device) adds them. tfjs-cpu's matMul accumulates in blocks already.
 *
 * tanh is tfjs's Tanh on every backend, though on wasm it is a scalar loop several times slower than
 * the vectorised Sigmoid: the faster 2σ(2a) − 1 rounds σ near 1/2 and so loses relative precision
 * for small a (norm-wise 20× to 300× the error of Tanh for |a| < 0.1 on cpu and wasm, 1.3× to 2.3×
 * on webgpu, whose own Tanh is exp-based), which strongly driven sequences amplify.
 */
import * as tf from '@tensorflow/tfjs';

export type FusedAct = 'linear' | 'relu' | 'sigmoid';

/** One matMul over all rows; host blocks of whole steps (blockSteps) added by one AddN; per-step batched products. */
export type RowSums = { kind: 'single' } | { kind: 'blocks' } | { kind: 'per-step' };

/** What a step needs to know of the backend it runs on. Chosen once per loop. */
export interface StepOps {
  /** act(a · b + c), c [M, N] or [N] (or null). One fused kernel where the backend allows. */
  matMulAdd(a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor | null, act?: FusedAct): tf.Tensor2D;
  /** How the weight-gradient sums over all rows are formed (see above). */
  readonly rowSums: RowSums;
}

function activateFused(z: tf.Tensor2D, act: FusedAct): tf.Tensor2D {
  return act === 'linear' ? z : act === 'relu' ? tf.relu(z) : tf.sigmoid(z);
}

export function stepOpsFor(backendName: string): StepOps {
  const wasm = backendName === 'wasm';
  return {
    matMulAdd: (a, b, c, act = 'linear') => {
      if (c === null) return act === 'linear' ? tf.matMul(a, b) : (tf.fused.matMul({ a, b, activation: act }) as tf.Tensor2D);
      if (wasm && c.rank !== 1) return activateFused(tf.add(tf.matMul(a, b), c) as tf.Tensor2D, act);
      return tf.fused.matMul({ a, b, bias: c, activation: act }) as tf.Tensor2D;
    },
    rowSums: backendName === 'cpu' ? { kind: 'single' } : wasm ? { kind: 'blocks' } : { kind: 'per-step' },
  };
}

/** aᵀ · b. */
export function matMulTransposeA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.getBackend() === 'wasm' ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}

/** a · bᵀ. */
export function matMulTransposeB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.getBackend() === 'wasm' ? tf.matMul(a, tf.transpose(b)) : tf.matMul(a, b, false, true);
}

/** Σ over rows of [N, K] as a matMul with a row of ones (tfjs's Sum over axis 0 transposes first). */
export function columnSums(a: tf.Tensor2D): tf.Tensor1D {
  const [N, K] = a.shape;
  return tf.reshape(tf.matMul(tf.ones([1, N]) as tf.Tensor2D, a), [K]) as tf.Tensor1D;
}

/**
 * Steps per row block of a weight-gradient sum over T steps of B rows (wasm): whole steps making
 * at most 64 rows (at least one step, at most T). Measured on gentle cases (benchmarks/NOTES.md):
 * blocks of 256 rows give up to 2× autodiff's error in ∂W at B ≤ 16; 64 rows stay within 1.6×.
 */
export function blockSteps(B: number, T: number): number {
  return Math.max(1, Math.min(T, Math.floor(BLOCK_ROWS / B)));
}
const BLOCK_ROWS = 64;

/** X · W + c for all rows at once. X [N, D], W [D, K], c [K] or null → [N, K]. */
export function project(X: tf.Tensor2D, W: tf.Tensor2D, c: tf.Tensor1D | null): tf.Tensor2D {
  return c === null ? tf.matMul(X, W) : (tf.fused.matMul({ a: X, b: W, bias: c }) as tf.Tensor2D);
}

/** Column block k, of width H, of a [N, G·H] matrix. */
export function columnBlock(m: tf.Tensor2D, k: number, H: number): tf.Tensor2D {
  return tf.slice(m, [0, k * H], [m.shape[0], H]);
}

/**
 * Row k of a [R, N] matrix as a vector [N] with storage of its own (the × 1 is exact): wasm's fused
 * matMul reads a bias's rank from its storage, which a slice or a reshape shares with its source.
 */
export function matrixRow(m: tf.Tensor, k: number): tf.Tensor1D {
  const n = m.shape[1] as number;
  return tf.mul(tf.reshape(tf.slice(m, [k, 0], [1, n]), [n]), 1) as tf.Tensor1D;
}

