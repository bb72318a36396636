/**
 * The readable reference: a SimpleRNN forward pass and its backpropagation through time in plain
 * TypeScript, float64 (Float64Array) throughout, no tfjs. The tfjs cell is checked against this, and
 * this is checked against central finite differences (test/reference.test.ts).
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
 *   act ∈ { tanh, relu, linear };  act'(a): 1 - tanh(a)², [a > 0] (0 at a = 0, as tf), 1.
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
 * These are plain gradients of L: no division by the batch size (seed 004 divides; we do not).
 */

export type ReferenceActivation = 'tanh' | 'relu' | 'linear';

/** Sizes of the input x [B, T, D]. */
export interface ReferenceShape {
  B: number;
  T: number;
  D: number;
}

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

/** Gradients of L = sum(dSequence ⊙ sequence) + sum(dLast ⊙ last). */
export interface ReferenceGradients {
  /** [D, H] */
  kernel: Float64Array;
  /** [H, H] */
  recurrentKernel: Float64Array;
  /** [H], or null when the weights have no bias. */
  bias: Float64Array | null;
  /** [B, T, D] */
  input: Float64Array;
  /** [B, H] */
  initialState: Float64Array;
}

function checkLength(name: string, array: ArrayLike<number>, shape: number[], dims: string): void {
  const n = shape.reduce((p, s) => p * s, 1);
  if (array.length !== n) {
    throw new Error(`expected ${name} ${dims} = [${shape.join(', ')}] (${n} values), got ${array.length} values`);
  }
}

function sameSize(name: string, array: ArrayLike<number>, otherName: string, other: ArrayLike<number>): void {
  if (array.length !== other.length) {
    throw new Error(`expected ${name} of ${other.length} values (the size of ${otherName}), got ${array.length} values`);
  }
}

function checkArguments(
  x: Float64Array,
  shape: ReferenceShape,
  weights: ReferenceWeights,
  h0: Float64Array | null,
  activation: ReferenceActivation,
): void {
  const { B, T, D } = shape;
  const { H } = weights;
  for (const [name, v] of [['B', B], ['T', T], ['D', D], ['H', H]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`expected ${name} a positive integer, got ${v}`);
  }
  if (activation !== 'tanh' && activation !== 'relu' && activation !== 'linear') {
    throw new Error(`expected activation 'tanh', 'relu' or 'linear', got '${String(activation)}'`);
  }
  checkLength('x', x, [B, T, D], '[B, T, D]');
  checkLength('kernel', weights.kernel, [D, H], '[D, H]');
  checkLength('recurrentKernel', weights.recurrentKernel, [H, H], '[H, H]');
  if (weights.bias !== null) checkLength('bias', weights.bias, [H], '[H]');
  if (h0 !== null) checkLength('h0', h0, [B, H], '[B, H]');
}

function act(a: number, activation: ReferenceActivation): number {
  if (activation === 'tanh') return Math.tanh(a);
  if (activation === 'relu') return a > 0 ? a : 0;
  return a;
}

/** act'(a), given a and h = act(a). */
function actDerivative(a: number, h: number, activation: ReferenceActivation): number {
  if (activation === 'tanh') return 1 - h * h;
  if (activation === 'relu') return a > 0 ? 1 : 0;
  return 1;
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
  const { H, kernel, recurrentKernel, bias } = weights;
  const sequence = new Float64Array(B * T * H); // [B, T, H]
  const preActivations = new Float64Array(B * T * H); // [B, T, H]
  const last = new Float64Array(B * H); // [B, H]

  for (let b = 0; b < B; b++) {
    const hPrev = h0 === null ? new Float64Array(H) : h0.slice(b * H, (b + 1) * H); // [H]
    for (let t = 0; t < T; t++) {
      const xOff = (b * T + t) * D; // x[b, t, :]
      const hOff = (b * T + t) * H; // sequence[b, t, :]
      for (let j = 0; j < H; j++) {
        let a = bias === null ? 0 : bias[j];
        for (let i = 0; i < D; i++) a += x[xOff + i] * kernel[i * H + j]; // x_t · kernel
        for (let k = 0; k < H; k++) a += hPrev[k] * recurrentKernel[k * H + j]; // h_{t-1} · recurrentKernel
        preActivations[hOff + j] = a;
        sequence[hOff + j] = act(a, activation);
      }
      for (let j = 0; j < H; j++) hPrev[j] = sequence[hOff + j];
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
  const { H, kernel, recurrentKernel, bias } = weights;
  const dSequence = upstream.dSequence ?? null;
  const dLast = upstream.dLast ?? null;
  if (dSequence === null && dLast === null) {
    throw new Error('expected dSequence [B, T, H] or dLast [B, H] (or both), got neither');
  }
  const { sequence, preActivations } = referenceForward(x, shape, weights, h0, activation);
  if (dSequence !== null) checkLength('dSequence', dSequence, [B, T, H], '[B, T, H]');
  if (dLast !== null) checkLength('dLast', dLast, [B, H], '[B, H]');

  const dKernel = new Float64Array(D * H); // [D, H]
  const dRecurrentKernel = new Float64Array(H * H); // [H, H]
  const dBias = new Float64Array(H); // [H]
  const dx = new Float64Array(B * T * D); // [B, T, D]
  const dh0 = new Float64Array(B * H); // [B, H]
  const da = new Float64Array(H); // [H] one batch row of da_t

  for (let b = 0; b < B; b++) {
    let dhNext = dLast === null ? new Float64Array(H) : dLast.slice(b * H, (b + 1) * H); // [H]
    for (let t = T - 1; t >= 0; t--) {
      const xOff = (b * T + t) * D;
      const hOff = (b * T + t) * H;
      const hPrevOff = (b * T + t - 1) * H; // valid when t > 0
      for (let j = 0; j < H; j++) {
        const dh = (dSequence === null ? 0 : dSequence[hOff + j]) + dhNext[j]; // total gradient on h_t
        da[j] = dh * actDerivative(preActivations[hOff + j], sequence[hOff + j], activation); // backprop through act
      }
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < H; j++) dKernel[i * H + j] += x[xOff + i] * da[j]; // x_tᵀ · da_t
      }
      for (let k = 0; k < H; k++) {
        const hPrevK = t > 0 ? sequence[hPrevOff + k] : h0 === null ? 0 : h0[b * H + k];
        for (let j = 0; j < H; j++) dRecurrentKernel[k * H + j] += hPrevK * da[j]; // h_{t-1}ᵀ · da_t
      }
      for (let j = 0; j < H; j++) dBias[j] += da[j]; // Σ_b da_t
      for (let i = 0; i < D; i++) {
        let s = 0;
        for (let j = 0; j < H; j++) s += da[j] * kernel[i * H + j];
        dx[xOff + i] = s; // da_t · kernelᵀ
      }
      const dhPrev = new Float64Array(H);
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let j = 0; j < H; j++) s += da[j] * recurrentKernel[k * H + j];
        dhPrev[k] = s; // da_t · recurrentKernelᵀ
      }
      dhNext = dhPrev;
    }
    dh0.set(dhNext, b * H);
  }
  return {
    kernel: dKernel,
    recurrentKernel: dRecurrentKernel,
    bias: bias === null ? null : dBias,
    input: dx,
    initialState: dh0,
  };
}

/**
 * Central finite differences: g_i = (f(p + eps e_i) - f(p - eps e_i)) / (2 eps) for every i.
 * `params` is not modified; f receives a perturbed copy.
 */
export function finiteDifferenceGrad(
  f: (params: Float64Array) => number,
  params: Float64Array,
  eps = 1e-6,
): Float64Array {
  const p = Float64Array.from(params);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const p0 = p[i];
    p[i] = p0 + eps;
    const fPlus = f(p);
    p[i] = p0 - eps;
    const fMinus = f(p);
    p[i] = p0;
    g[i] = (fPlus - fMinus) / (2 * eps);
  }
  return g;
}

/** L = sum(dSequence ⊙ sequence) + sum(dLast ⊙ last): the scalar whose gradients referenceBackward gives. */
export function referenceLoss(forward: ReferenceForwardResult, upstream: ReferenceUpstream): number {
  let L = 0;
  if (upstream.dSequence) {
    sameSize('dSequence', upstream.dSequence, 'sequence', forward.sequence);
    for (let i = 0; i < forward.sequence.length; i++) L += upstream.dSequence[i] * forward.sequence[i];
  }
  if (upstream.dLast) {
    sameSize('dLast', upstream.dLast, 'last', forward.last);
    for (let i = 0; i < forward.last.length; i++) L += upstream.dLast[i] * forward.last[i];
  }
  return L;
}
