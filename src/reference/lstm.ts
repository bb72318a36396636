/**
 * The float64 reference LSTM: forward pass and backpropagation through time in plain TypeScript
 * (Float64Array, no tfjs), exactly Keras's LSTM. The tfjs cell is checked against this; this is
 * checked against central finite differences and PyTorch's nn.LSTM (test/reference_lstm.test.ts).
 *
 * Shapes (B batch, T time, D input features, H units), every array row-major; Keras gate order
 * i, f, c, o along the 4H axis (columns [0, H) input gate, [H, 2H) forget, [2H, 3H) candidate,
 * [3H, 4H) output):
 *   x               [B, T, D]   input, batch-major
 *   kernel          [D, 4H]
 *   recurrentKernel [H, 4H]
 *   bias            [4H] or null
 *   h0, c0          [B, H]      initial state and cell, zeros when null
 *
 * Forward, for t = 1..T (row vectors; rec the recurrent activation, act the activation):
 *   z_t = x_t · kernel + h_{t-1} · recurrentKernel + bias        // [B, 4H] = [z_i | z_f | z_c | z_o]
 *   i = rec(z_i), f = rec(z_f), o = rec(z_o), g = act(z_c)       // g is Keras's c̃
 *   c_t = f ⊙ c_{t-1} + i ⊙ g                                    // [B, H]
 *   h_t = o ⊙ act(c_t)                                           // [B, H]
 *   sequence = [h_1 .. h_T] as [B, T, H];  last = h_T;  lastCell = c_T
 *
 * Backward, for L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last + Σ dLastCell ⊙ lastCell, t = T..1
 * (dhNext starts as dLast, dcNext as dLastCell, zeros when absent):
 *   dh   = dSequence_t + dhNext
 *   dc   = dcNext + dh ⊙ o ⊙ act'(c_t)
 *   dz_o = dh ⊙ act(c_t) ⊙ rec'(z_o)       dz_c = dc ⊙ i ⊙ act'(z_c)
 *   dz_i = dc ⊙ g ⊙ rec'(z_i)              dz_f = dc ⊙ c_{t-1} ⊙ rec'(z_f)
 *   dKernel += x_tᵀ · dz_t     dRecurrentKernel += h_{t-1}ᵀ · dz_t     dBias += Σ_b dz_t
 *   dx_t = dz_t · kernelᵀ      dhNext = dz_t · recurrentKernelᵀ        dcNext = dc ⊙ f
 *   dh0 = dhNext, dc0 = dcNext after t = 1.
 * Plain gradients of L: no division by the batch size.
 */
import { activate, activationDerivative, addVecMat, backpropVecMat, matrix, rowOrZeros } from './shared';
import { checkLength, checkSizes, checkUpstream, gradientsOf, resolveGatedOptions, upstreamLoss, zeroGradients } from './shared';
import type { CellGradients, GatedReferenceOptions, ReferenceShape } from './shared';

/** Weights in Keras layout (gate order i, f, c, o), row-major, float64. */
export interface LSTMReferenceWeights {
  /** [D, 4H] */
  kernel: Float64Array;
  /** [H, 4H] */
  recurrentKernel: Float64Array;
  /** [4H], or null for no bias. */
  bias: Float64Array | null;
  /** Number of units. */
  H: number;
}

/** activation (default 'tanh') and recurrentActivation (default 'sigmoid', Keras's; tf.layers's is 'hardSigmoid'). */
export type LSTMReferenceOptions = GatedReferenceOptions;

export interface LSTMReferenceForwardResult {
  /** [B, T, H] all states h_1..h_T. */
  sequence: Float64Array;
  /** [B, H] h_T. */
  last: Float64Array;
  /** [B, H] c_T. */
  lastCell: Float64Array;
  /** [B, T, H] all cells c_1..c_T. */
  cells: Float64Array;
  /** [B, T, 4H] the pre-activations z_t. */
  preActivations: Float64Array;
  /** [B, T, 4H] the gates after their activations: i, f, g (= c̃), o. */
  gates: Float64Array;
}

/** Upstream gradients: any non-empty subset. */
export interface LSTMReferenceUpstream {
  /** [B, T, H] dL/dsequence. */
  dSequence?: Float64Array | null;
  /** [B, H] dL/dlast. */
  dLast?: Float64Array | null;
  /** [B, H] dL/dlastCell. */
  dLastCell?: Float64Array | null;
}

/**
 * Gradients of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last + Σ dLastCell ⊙ lastCell: kernel [D, 4H],
 * recurrentKernel [H, 4H], bias [4H] or null, input [B, T, D], initialState (∂L/∂h0) [B, H], and:
 */
export interface LSTMReferenceGradients extends CellGradients {
  /** [B, H] ∂L/∂c0 */
  initialCell: Float64Array;
}

function checkArguments(x: Float64Array, shape: ReferenceShape, w: LSTMReferenceWeights, h0: Float64Array | null, c0: Float64Array | null): void {
  const { B, T, D } = shape;
  const { H } = w;
  checkSizes(shape, H);
  checkLength('x', x, [B, T, D], '[B, T, D]');
  checkLength('kernel', w.kernel, [D, 4 * H], '[D, 4H]');
  checkLength('recurrentKernel', w.recurrentKernel, [H, 4 * H], '[H, 4H]');
  if (w.bias !== null) checkLength('bias', w.bias, [4 * H], '[4H]');
  if (h0 !== null) checkLength('h0', h0, [B, H], '[B, H]');
  if (c0 !== null) checkLength('c0', c0, [B, H], '[B, H]');
}

/** Runs the recurrence; see the math block at the top of this file. */
export function lstmReferenceForward(
  x: Float64Array, // [B, T, D]
  shape: ReferenceShape,
  w: LSTMReferenceWeights,
  h0: Float64Array | null, // [B, H]
  c0: Float64Array | null, // [B, H]
  options: LSTMReferenceOptions = {},
): LSTMReferenceForwardResult {
  checkArguments(x, shape, w, h0, c0);
  const { activation, recurrentActivation } = resolveGatedOptions(options);
  const { B, T, D } = shape;
  const { H, bias } = w;
  const W = matrix(w.kernel, D, 4 * H);
  const U = matrix(w.recurrentKernel, H, 4 * H);
  const sequence = new Float64Array(B * T * H); // [B, T, H]
  const cells = new Float64Array(B * T * H); // [B, T, H]
  const preActivations = new Float64Array(B * T * 4 * H); // [B, T, 4H]
  const gates = new Float64Array(B * T * 4 * H); // [B, T, 4H]
  const last = new Float64Array(B * H); // [B, H]
  const lastCell = new Float64Array(B * H); // [B, H]

  for (let b = 0; b < B; b++) {
    let hPrev = rowOrZeros(h0, b, H); // [H]
    let cPrev = rowOrZeros(c0, b, H); // [H]
    for (let t = 0; t < T; t++) {
      const xOff = (b * T + t) * D;
      const hOff = (b * T + t) * H;
      const zOff = (b * T + t) * 4 * H;
      const z = preActivations.subarray(zOff, zOff + 4 * H); // [4H]
      if (bias !== null) z.set(bias);
      addVecMat(z, x.subarray(xOff, xOff + D), W); // + x_t · kernel
      addVecMat(z, hPrev, U); // + h_{t-1} · recurrentKernel
      const gate = gates.subarray(zOff, zOff + 4 * H); // [4H] i | f | g | o
      for (let j = 0; j < 4 * H; j++) {
        const candidate = j >= 2 * H && j < 3 * H;
        gate[j] = activate(z[j], candidate ? activation : recurrentActivation);
      }
      const c = cells.subarray(hOff, hOff + H); // [H]
      const h = sequence.subarray(hOff, hOff + H); // [H]
      for (let j = 0; j < H; j++) {
        c[j] = gate[H + j] * cPrev[j] + gate[j] * gate[2 * H + j]; // f ⊙ c_{t-1} + i ⊙ g
        h[j] = gate[3 * H + j] * activate(c[j], activation); // o ⊙ act(c_t)
      }
      hPrev = h;
      cPrev = c;
    }
    last.set(hPrev, b * H);
    lastCell.set(cPrev, b * H);
  }
  return { sequence, last, lastCell, cells, preActivations, gates };
}

/**
 * Hand-written BPTT: gradients of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last + Σ dLastCell ⊙ lastCell
 * with respect to kernel, recurrentKernel, bias, x, h0 and c0. Runs the forward pass itself.
 */
export function lstmReferenceBackward(
  x: Float64Array, // [B, T, D]
  shape: ReferenceShape,
  w: LSTMReferenceWeights,
  h0: Float64Array | null, // [B, H]
  c0: Float64Array | null, // [B, H]
  upstream: LSTMReferenceUpstream,
  options: LSTMReferenceOptions = {},
): LSTMReferenceGradients {
  const { B, T, D } = shape;
  const { H, bias } = w;
  const { activation, recurrentActivation } = resolveGatedOptions(options);
  const { sequence, cells, preActivations, gates } = lstmReferenceForward(x, shape, w, h0, c0, options);
  const [dSequence, dLast, dLastCell] = checkUpstream([
    ['dSequence', upstream.dSequence, '[B, T, H]', [B, T, H]],
    ['dLast', upstream.dLast, '[B, H]', [B, H]],
    ['dLastCell', upstream.dLastCell, '[B, H]', [B, H]],
  ]);
  const W = matrix(w.kernel, D, 4 * H);
  const U = matrix(w.recurrentKernel, H, 4 * H);
  const grads = zeroGradients(shape, H, 4, 4 * H);
  const { dW, dU, dBias, dx, dh0 } = grads;
  const dc0 = new Float64Array(B * H); // [B, H]
  const dz = new Float64Array(4 * H); // [4H] one batch row of dz_t

  for (let b = 0; b < B; b++) {
    const h0Row = rowOrZeros(h0, b, H);
    const c0Row = rowOrZeros(c0, b, H);
    const dhNext = rowOrZeros(dLast, b, H); // [H]
    const dcNext = rowOrZeros(dLastCell, b, H); // [H]
    for (let t = T - 1; t >= 0; t--) {
      const xOff = (b * T + t) * D;
      const hOff = (b * T + t) * H;
      const zOff = (b * T + t) * 4 * H;
      const hPrev = t > 0 ? sequence.subarray(hOff - H, hOff) : h0Row; // [H]
      const cPrev = t > 0 ? cells.subarray(hOff - H, hOff) : c0Row; // [H]
      const z = preActivations.subarray(zOff, zOff + 4 * H);
      const gate = gates.subarray(zOff, zOff + 4 * H);
      for (let j = 0; j < H; j++) {
        const [i, f, g, o] = [gate[j], gate[H + j], gate[2 * H + j], gate[3 * H + j]];
        const c = cells[hOff + j];
        const actC = activate(c, activation);
        const dh = (dSequence === null ? 0 : dSequence[hOff + j]) + dhNext[j]; // total gradient on h_t
        const dc = dcNext[j] + dh * o * activationDerivative(c, actC, activation); // through h_t = o ⊙ act(c_t)
        dz[j] = dc * g * activationDerivative(z[j], i, recurrentActivation); // input gate
        dz[H + j] = dc * cPrev[j] * activationDerivative(z[H + j], f, recurrentActivation); // forget gate
        dz[2 * H + j] = dc * i * activationDerivative(z[2 * H + j], g, activation); // candidate
        dz[3 * H + j] = dh * actC * activationDerivative(z[3 * H + j], o, recurrentActivation); // output gate
        dcNext[j] = dc * f; // c_{t-1} reaches c_t through f
      }
      backpropVecMat(dz, x.subarray(xOff, xOff + D), W, dW, dx.subarray(xOff, xOff + D), dBias); // x_tᵀ·dz_t, Σ_b dz_t, dz_t·kernelᵀ
      dhNext.fill(0);
      backpropVecMat(dz, hPrev, U, dU, dhNext, null); // h_{t-1}ᵀ·dz_t, dz_t·recurrentKernelᵀ
    }
    dh0.set(dhNext, b * H);
    dc0.set(dcNext, b * H);
  }
  return { ...gradientsOf(grads, bias !== null), initialCell: dc0 };
}

/** L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last + Σ dLastCell ⊙ lastCell: the scalar lstmReferenceBackward differentiates. */
export function lstmReferenceLoss(forward: LSTMReferenceForwardResult, upstream: LSTMReferenceUpstream): number {
  return upstreamLoss([
    ['dSequence', upstream.dSequence, forward.sequence],
    ['dLast', upstream.dLast, forward.last],
    ['dLastCell', upstream.dLastCell, forward.lastCell],
  ]);
}
