/**
 * The float64 reference GRU: forward pass and backpropagation through time in plain TypeScript
 * (Float64Array, no tfjs), exactly Keras's GRU in both of its forms. The tfjs cell is checked
 * against this; this is checked against central finite differences and PyTorch's nn.GRU
 * (test/reference_gru.test.ts).
 *
 * Shapes (B batch, T time, D input features, H units), every array row-major; Keras gate order
 * z, r, h along the 3H axis (columns [0, H) update gate, [H, 2H) reset gate, [2H, 3H) candidate):
 *   x               [B, T, D]   input, batch-major
 *   kernel          [D, 3H]
 *   recurrentKernel [H, 3H]
 *   bias            resetAfter: [2, 3H] (row 0 b, the input bias; row 1 b', the recurrent bias),
 *                   else [3H]; or null
 *   h0              [B, H]      initial state, zeros when null
 *
 * Forward, for t = 1..T (row vectors; rec the recurrent activation, act the activation;
 * W_zr, U_zr the first 2H columns, W_h, U_h the last H):
 *   z, r = rec(x_t · W_zr + h_{t-1} · U_zr + b_zr (+ b'_zr when resetAfter))
 *   resetAfter:  a_h = x_t · W_h + b_h + r ⊙ (h_{t-1} · U_h + b'_h)     (PyTorch's and cuDNN's form)
 *   otherwise:   a_h = x_t · W_h + (r ⊙ h_{t-1}) · U_h + b_h
 *   h̃ = act(a_h);  h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃
 *
 * Backward, for L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last, t = T..1 (dhNext starts as dLast):
 *   dh = dSequence_t + dhNext
 *   da_z = dh ⊙ (h_{t-1} − h̃) ⊙ rec'(a_z)      da_h = dh ⊙ (1 − z) ⊙ act'(a_h)
 *   resetAfter:  with n = h_{t-1} · U_h + b'_h:
 *     da_r = da_h ⊙ n ⊙ rec'(a_r);   the recurrent product's gradient is [da_z, da_r, da_h ⊙ r]
 *     dRecurrentKernel += h_{t-1}ᵀ · [da_z, da_r, da_h ⊙ r],  db' += Σ_b the same
 *   otherwise:  with d(r⊙h) = da_h · U_hᵀ:
 *     da_r = d(r⊙h) ⊙ h_{t-1} ⊙ rec'(a_r)
 *     dRecurrentKernel += [h_{t-1}ᵀ · [da_z, da_r] | (r ⊙ h_{t-1})ᵀ · da_h]
 *   both:  da = [da_z, da_r, da_h];  dKernel += x_tᵀ · da;  db += Σ_b da;  dx_t = da · kernelᵀ
 *   dhNext = dh ⊙ z + (the recurrent products' gradients on h_{t-1});  dh0 = dhNext after t = 1.
 * Plain gradients of L: no division by the batch size.
 */
import { activate, activationDerivative, addVecMat, backpropVecMat, matrix, rowOrZeros } from './shared';
import { checkLength, checkSizes, checkUpstream, gradientsOf, resolveGatedOptions, upstreamLoss, zeroGradients } from './shared';
import type { CellGradients, GatedReferenceOptions, ReferenceShape } from './shared';

/** Weights in Keras layout (gate order z, r, h), row-major, float64. */
export interface GRUReferenceWeights {
  /** [D, 3H] */
  kernel: Float64Array;
  /** [H, 3H] */
  recurrentKernel: Float64Array;
  /** [2, 3H] (6H values) when resetAfter, else [3H]; or null for no bias. */
  bias: Float64Array | null;
  /** Number of units. */
  H: number;
  /** Which of Keras's two forms: the reset gate applied after the recurrent product (true) or before. */
  resetAfter: boolean;
}

/** activation (default 'tanh') and recurrentActivation (default 'sigmoid', Keras's; tf.layers's is 'hardSigmoid'). */
export type GRUReferenceOptions = GatedReferenceOptions;

export interface GRUReferenceForwardResult {
  /** [B, T, H] all states h_1..h_T. */
  sequence: Float64Array;
  /** [B, H] h_T. */
  last: Float64Array;
  /** [B, T, 3H] the pre-activations a_z, a_r, a_h. */
  preActivations: Float64Array;
  /** [B, T, 3H] the gates after their activations: z, r, h̃. */
  gates: Float64Array;
  /** [B, T, H] the candidate's recurrent part: h_{t-1} · U_h + b'_h when resetAfter, else (r ⊙ h_{t-1}) · U_h. */
  candidateRecurrent: Float64Array;
}

/** Upstream gradients: either or both. */
export interface GRUReferenceUpstream {
  /** [B, T, H] dL/dsequence. */
  dSequence?: Float64Array | null;
  /** [B, H] dL/dlast. */
  dLast?: Float64Array | null;
}

/**
 * Gradients of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last: kernel [D, 3H], recurrentKernel [H, 3H],
 * bias of the bias's shape ([2, 3H] or [3H]) or null, input [B, T, D], initialState [B, H].
 */
export type GRUReferenceGradients = CellGradients;

function checkArguments(x: Float64Array, shape: ReferenceShape, w: GRUReferenceWeights, h0: Float64Array | null): void {
  const { B, T, D } = shape;
  const { H } = w;
  checkSizes(shape, H);
  if (typeof w.resetAfter !== 'boolean') throw new Error(`expected resetAfter true or false, got ${String(w.resetAfter)}`);
  checkLength('x', x, [B, T, D], '[B, T, D]');
  checkLength('kernel', w.kernel, [D, 3 * H], '[D, 3H]');
  checkLength('recurrentKernel', w.recurrentKernel, [H, 3 * H], '[H, 3H]');
  if (w.bias !== null) {
    if (w.resetAfter) checkLength('bias', w.bias, [2, 3 * H], '[2, 3H] (resetAfter)');
    else checkLength('bias', w.bias, [3 * H], '[3H] (resetAfter false)');
  }
  if (h0 !== null) checkLength('h0', h0, [B, H], '[B, H]');
}

/** The bias split as the equations use it: b (input side, [3H]) and b' (recurrent side, [3H], resetAfter only). */
function splitBias(bias: Float64Array | null, H: number, resetAfter: boolean): [Float64Array | null, Float64Array | null] {
  if (bias === null) return [null, null];
  if (!resetAfter) return [bias, null];
  return [bias.subarray(0, 3 * H), bias.subarray(3 * H, 6 * H)];
}

/** Runs the recurrence; see the math block at the top of this file. */
export function gruReferenceForward(
  x: Float64Array, // [B, T, D]
  shape: ReferenceShape,
  w: GRUReferenceWeights,
  h0: Float64Array | null, // [B, H]
  options: GRUReferenceOptions = {},
): GRUReferenceForwardResult {
  checkArguments(x, shape, w, h0);
  const { activation, recurrentActivation } = resolveGatedOptions(options);
  const { B, T, D } = shape;
  const { H, resetAfter } = w;
  const [bIn, bRec] = splitBias(w.bias, H, resetAfter);
  const W = matrix(w.kernel, D, 3 * H);
  const U = matrix(w.recurrentKernel, H, 3 * H);
  const sequence = new Float64Array(B * T * H); // [B, T, H]
  const preActivations = new Float64Array(B * T * 3 * H); // [B, T, 3H]
  const gates = new Float64Array(B * T * 3 * H); // [B, T, 3H]
  const candidateRecurrent = new Float64Array(B * T * H); // [B, T, H]
  const last = new Float64Array(B * H); // [B, H]
  const recurrent = new Float64Array(3 * H); // [3H] the step's recurrent product h_{t-1} · U (+ b')
  const rh = new Float64Array(H); // [H] r ⊙ h_{t-1}

  for (let b = 0; b < B; b++) {
    let hPrev = rowOrZeros(h0, b, H); // [H]
    for (let t = 0; t < T; t++) {
      const xOff = (b * T + t) * D;
      const hOff = (b * T + t) * H;
      const gOff = (b * T + t) * 3 * H;
      const a = preActivations.subarray(gOff, gOff + 3 * H); // [3H] a_z | a_r | a_h
      const gate = gates.subarray(gOff, gOff + 3 * H); // [3H] z | r | h̃
      if (bIn !== null) a.set(bIn);
      addVecMat(a, x.subarray(xOff, xOff + D), W); // x_t · kernel + b
      recurrent.fill(0);
      if (bRec !== null) recurrent.set(bRec);
      addVecMat(resetAfter ? recurrent : recurrent.subarray(0, 2 * H), hPrev, U); // h_{t-1} · U (+ b'), U_zr only when not resetAfter
      for (let j = 0; j < 2 * H; j++) {
        a[j] += recurrent[j];
        gate[j] = activate(a[j], recurrentActivation); // z, r
      }
      if (!resetAfter) {
        for (let j = 0; j < H; j++) rh[j] = gate[H + j] * hPrev[j];
        addVecMat(recurrent.subarray(2 * H), rh, U, 2 * H); // (r ⊙ h_{t-1}) · U_h
      }
      const h = sequence.subarray(hOff, hOff + H); // [H]
      for (let j = 0; j < H; j++) {
        const n = recurrent[2 * H + j];
        candidateRecurrent[hOff + j] = n;
        a[2 * H + j] += resetAfter ? gate[H + j] * n : n;
        gate[2 * H + j] = activate(a[2 * H + j], activation); // h̃
        const z = gate[j];
        h[j] = z * hPrev[j] + (1 - z) * gate[2 * H + j];
      }
      hPrev = h;
    }
    last.set(hPrev, b * H);
  }
  return { sequence, last, preActivations, gates, candidateRecurrent };
}

/**
 * Hand-written BPTT: gradients of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last with respect to
 * kernel, recurrentKernel, bias, x and h0. Runs the forward pass itself. See the math block above.
 */
export function gruReferenceBackward(
  x: Float64Array, // [B, T, D]
  shape: ReferenceShape,
  w: GRUReferenceWeights,
  h0: Float64Array | null, // [B, H]
  upstream: GRUReferenceUpstream,
  options: GRUReferenceOptions = {},
): GRUReferenceGradients {
  const { B, T, D } = shape;
  const { H, resetAfter } = w;
  const { activation, recurrentActivation } = resolveGatedOptions(options);
  const { sequence, preActivations, gates, candidateRecurrent } = gruReferenceForward(x, shape, w, h0, options);
  const [dSequence, dLast] = checkUpstream([
    ['dSequence', upstream.dSequence, '[B, T, H]', [B, T, H]],
    ['dLast', upstream.dLast, '[B, H]', [B, H]],
  ]);
  const W = matrix(w.kernel, D, 3 * H);
  const U = matrix(w.recurrentKernel, H, 3 * H);
  const grads = zeroGradients(shape, H, 3, resetAfter ? 6 * H : 3 * H); // bias [2, 3H] or [3H]
  const { dW, dU, dx, dh0 } = grads;
  const [dbIn, dbRec] = splitBias(grads.dBias, H, resetAfter);
  const da = new Float64Array(3 * H); // [3H] da_z | da_r | da_h, one batch row
  const dRecurrent = new Float64Array(3 * H); // [3H] resetAfter: the gradient on h_{t-1} · U + b'
  const drh = new Float64Array(H); // [H] otherwise: the gradient on r ⊙ h_{t-1}
  const rh = new Float64Array(H); // [H] r ⊙ h_{t-1}

  for (let b = 0; b < B; b++) {
    const h0Row = rowOrZeros(h0, b, H);
    const dhNext = rowOrZeros(dLast, b, H); // [H]
    for (let t = T - 1; t >= 0; t--) {
      const xOff = (b * T + t) * D;
      const hOff = (b * T + t) * H;
      const gOff = (b * T + t) * 3 * H;
      const hPrev = t > 0 ? sequence.subarray(hOff - H, hOff) : h0Row; // [H]
      const a = preActivations.subarray(gOff, gOff + 3 * H);
      const gate = gates.subarray(gOff, gOff + 3 * H);
      for (let j = 0; j < H; j++) {
        const [z, hCandidate] = [gate[j], gate[2 * H + j]];
        const dh = (dSequence === null ? 0 : dSequence[hOff + j]) + dhNext[j]; // total gradient on h_t
        da[j] = dh * (hPrev[j] - hCandidate) * activationDerivative(a[j], z, recurrentActivation); // update gate
        da[2 * H + j] = dh * (1 - z) * activationDerivative(a[2 * H + j], hCandidate, activation); // candidate
        dhNext[j] = dh * z; // h_{t-1} reaches h_t directly through z; the products' part is added below
      }
      if (resetAfter) {
        for (let j = 0; j < H; j++) {
          const r = gate[H + j];
          da[H + j] = da[2 * H + j] * candidateRecurrent[hOff + j] * activationDerivative(a[H + j], r, recurrentActivation);
          dRecurrent[2 * H + j] = da[2 * H + j] * r; // through r ⊙ (h_{t-1} · U_h + b'_h)
        }
        dRecurrent.set(da.subarray(0, 2 * H));
        backpropVecMat(dRecurrent, hPrev, U, dU, dhNext, dbRec); // h_{t-1} · U + b'
      } else {
        drh.fill(0);
        for (let j = 0; j < H; j++) rh[j] = gate[H + j] * hPrev[j];
        backpropVecMat(da.subarray(2 * H), rh, U, dU, drh, null, 2 * H); // (r ⊙ h_{t-1}) · U_h
        for (let j = 0; j < H; j++) {
          const r = gate[H + j];
          da[H + j] = drh[j] * hPrev[j] * activationDerivative(a[H + j], r, recurrentActivation);
          dhNext[j] += drh[j] * r;
        }
        backpropVecMat(da.subarray(0, 2 * H), hPrev, U, dU, dhNext, null); // h_{t-1} · U_zr
      }
      backpropVecMat(da, x.subarray(xOff, xOff + D), W, dW, dx.subarray(xOff, xOff + D), dbIn); // x_t · kernel + b
    }
    dh0.set(dhNext, b * H);
  }
  return gradientsOf(grads, w.bias !== null);
}

/** L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last: the scalar gruReferenceBackward differentiates. */
export function gruReferenceLoss(forward: GRUReferenceForwardResult, upstream: GRUReferenceUpstream): number {
  return upstreamLoss([['dSequence', upstream.dSequence, forward.sequence], ['dLast', upstream.dLast, forward.last]]);
}
