/**
 * The readable reference: a SimpleRNN forward pass and its backpropagation through time in plain
 * TypeScript, float64 (Float64Array) throughout, no tfjs. The tfjs cell is checked against this, and
 * this is checked against central finite differences (test/reference.test.ts). What the three
 * references share (checks, activations, finite differences) is in shared.ts.
 *
 * Shapes (B batch, T time, D input features, H units), every array row-major:
 *   x               [B, T, D]   input, batch-major
 *   kernel          [D, H]      Keras layout: rows index input features
 *   recurrentKernel [H, H]      rows index the previous state
 *   bias            [H] or null
 *   h0              [B, H]      initial state, zeros when null
 *
 * Forward, for t = 1..T (row vectors, as Keras):
 *   a_t = x_t · kernel + h_{t-1} · recurrentKernel + bias        // [B, H] pre-activation
 *   h_t = act(a_t)                                               // [B, H]
 *   sequence = [h_1 .. h_T] as [B, T, H];  last = h_T            // [B, H]
 *   act ∈ { tanh, relu, linear }, derivatives in shared.ts.
 *
 * Backward, for L = sum(dSequence ⊙ sequence) + sum(dLast ⊙ last), t = T..1:
 *   dh_t  = dSequence_t + dhNext           (dhNext starts as dLast, zeros when absent)
 *   da_t  = dh_t ⊙ act'(a_t)                                     // [B, H]
 *   dKernel          += x_tᵀ · da_t                              // [D, H]
 *   dRecurrentKernel += h_{t-1}ᵀ · da_t                          // [H, H]
 *   dBias            += Σ_b da_t                                 // [H]
 *   dx_t   = da_t · kernelᵀ                                      // [B, D]
 *   dhNext = da_t · recurrentKernelᵀ                             // [B, H]
 *   dh0 = dhNext after t = 1.
 * These are plain gradients of L: no division by the batch size (the numpy SimpleRNN class of the
 * seed document ../shared/seeds/004 divides by it; we do not).
 */

import { activate, activationDerivative, addVecMat, backpropVecMat, matrix, rowOrZeros } from './shared';
import { checkActivations, checkLength, checkSizes, checkUpstream, gradientsOf, upstreamLoss, zeroGradients } from './shared';
import type { CellGradients, ReferenceActivation, ReferenceShape } from './shared';

export { finiteDifferenceGrad } from './shared';
export type { ReferenceActivation, ReferenceRecurrentActivation, ReferenceShape } from './shared';

/** Weights in Keras layout, row-major, float64. */
export interface ReferenceWeights {
  /** [D, H] */
  kernel: Float64Array;
  /** [H, H] */
  recurrentKernel: Float64Array;
  /** [H], or null for no bias. */
  bias: Float64Array | null;
  /** Number of units. */
  H: number;
}

export interface ReferenceForwardResult {
  /** [B, T, H] all states h_1..h_T, batch-major. */
  sequence: Float64Array;
  /** [B, H] the final state h_T. */
  last: Float64Array;
  /** [B, T, H] the pre-activations a_1..a_T. */
  preActivations: Float64Array;
}

/** Upstream gradients: either or both. */
export interface ReferenceUpstream {
  /** [B, T, H] dL/dsequence. */
  dSequence?: Float64Array | null;
  /** [B, H] dL/dlast. */
  dLast?: Float64Array | null;
}

/** Gradients of L = sum(dSequence ⊙ sequence) + sum(dLast ⊙ last): kernel [D, H], recurrentKernel [H, H], bias [H] or null, input [B, T, D], initialState [B, H]. */
export type ReferenceGradients = CellGradients;

function checkArguments(
  x: Float64Array,
  shape: ReferenceShape,
  weights: ReferenceWeights,
  h0: Float64Array | null,
  activation: ReferenceActivation,
): void {
  const { B, T, D } = shape;
  const { H } = weights;
  checkSizes(shape, H);
  checkActivations(activation);
  checkLength('x', x, [B, T, D], '[B, T, D]');
  checkLength('kernel', weights.kernel, [D, H], '[D, H]');
  checkLength('recurrentKernel', weights.recurrentKernel, [H, H], '[H, H]');
  if (weights.bias !== null) checkLength('bias', weights.bias, [H], '[H]');
  if (h0 !== null) checkLength('h0', h0, [B, H], '[B, H]');
}

/** Runs the recurrence; see the math block at the top of this file. */
export function referenceForward(
  x: Float64Array, // [B, T, D]
  shape: ReferenceShape,
  weights: ReferenceWeights,
  h0: Float64Array | null, // [B, H]
  activation: ReferenceActivation = 'tanh',
): ReferenceForwardResult {
  checkArguments(x, shape, weights, h0, activation);
  const { B, T, D } = shape;
  const { H, bias } = weights;
  const W = matrix(weights.kernel, D, H);
  const U = matrix(weights.recurrentKernel, H, H);
  const sequence = new Float64Array(B * T * H); // [B, T, H]
  const preActivations = new Float64Array(B * T * H); // [B, T, H]
  const last = new Float64Array(B * H); // [B, H]

  for (let b = 0; b < B; b++) {
    let hPrev = rowOrZeros(h0, b, H); // [H]
    for (let t = 0; t < T; t++) {
      const xOff = (b * T + t) * D; // x[b, t, :]
      const hOff = (b * T + t) * H; // sequence[b, t, :]
      const a = preActivations.subarray(hOff, hOff + H); // [H]
      if (bias !== null) a.set(bias);
      addVecMat(a, x.subarray(xOff, xOff + D), W); // + x_t · kernel
      addVecMat(a, hPrev, U); // + h_{t-1} · recurrentKernel
      const h = sequence.subarray(hOff, hOff + H); // [H]
      for (let j = 0; j < H; j++) h[j] = activate(a[j], activation);
      hPrev = h;
    }
    last.set(hPrev, b * H);
  }
  return { sequence, last, preActivations };
}

/**
 * Hand-written BPTT: gradients of L = sum(dSequence ⊙ sequence) + sum(dLast ⊙ last) with respect to
 * kernel, recurrentKernel, bias, x and h0. Runs the forward pass itself. See the math block above.
 */
export function referenceBackward(
  x: Float64Array, // [B, T, D]
  shape: ReferenceShape,
  weights: ReferenceWeights,
  h0: Float64Array | null, // [B, H]
  activation: ReferenceActivation,
  upstream: ReferenceUpstream,
): ReferenceGradients {
  const { B, T, D } = shape;
  const { H, bias } = weights;
  const { sequence, preActivations } = referenceForward(x, shape, weights, h0, activation);
  const [dSequence, dLast] = checkUpstream([
    ['dSequence', upstream.dSequence, '[B, T, H]', [B, T, H]],
    ['dLast', upstream.dLast, '[B, H]', [B, H]],
  ]);
  const W = matrix(weights.kernel, D, H);
  const U = matrix(weights.recurrentKernel, H, H);
  const grads = zeroGradients(shape, H, 1, H);
  const { dW, dU, dBias, dx, dh0 } = grads;
  const da = new Float64Array(H); // [H] one batch row of da_t

  for (let b = 0; b < B; b++) {
    const h0Row = rowOrZeros(h0, b, H); // [H]
    const dhNext = rowOrZeros(dLast, b, H); // [H]
    for (let t = T - 1; t >= 0; t--) {
      const xOff = (b * T + t) * D;
      const hOff = (b * T + t) * H;
      const hPrev = t > 0 ? sequence.subarray(hOff - H, hOff) : h0Row; // [H]
      for (let j = 0; j < H; j++) {
        const dh = (dSequence === null ? 0 : dSequence[hOff + j]) + dhNext[j]; // total gradient on h_t
        da[j] = dh * activationDerivative(preActivations[hOff + j], sequence[hOff + j], activation); // backprop through act
      }
      backpropVecMat(da, x.subarray(xOff, xOff + D), W, dW, dx.subarray(xOff, xOff + D), dBias); // x_tᵀ·da_t, Σ_b da_t, da_t·kernelᵀ
      dhNext.fill(0);
      backpropVecMat(da, hPrev, U, dU, dhNext, null); // h_{t-1}ᵀ·da_t, da_t·recurrentKernelᵀ
    }
    dh0.set(dhNext, b * H);
  }
  return gradientsOf(grads, bias !== null);
}

/** L = sum(dSequence ⊙ sequence) + sum(dLast ⊙ last): the scalar whose gradients referenceBackward gives. */
export function referenceLoss(forward: ReferenceForwardResult, upstream: ReferenceUpstream): number {
  return upstreamLoss([['dSequence', upstream.dSequence, forward.sequence], ['dLast', upstream.dLast, forward.last]]);
}

/** The SimpleRNN reference under per-cell names (the same functions as referenceForward/Backward/Loss). */
export const simpleRNNReferenceForward = referenceForward;
export const simpleRNNReferenceBackward = referenceBackward;
export const simpleRNNReferenceLoss = referenceLoss;
