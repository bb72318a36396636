/**
 * The forward loop and the BPTT loop of SimpleRNN (equations in simple_rnn.ts). The arithmetic is
 * the same on every backend; what differs is how [·, ·, H] tensors are laid out and cut into time
 * steps (the "arrangement", chosen by backend from measurements in benchmarks/NOTES.md):
 *
 * - cpu: batch-major (the user's layout, so no Transpose: tfjs-cpu's costs tens of ns per
 *   element); steps are cut and assembled by strided copies on the host, once before and once
 *   after each loop.
 * - wasm: time-major (wasm's Transpose is fast); a step is a view of ONE host copy of the
 *   projected input: wasm's Slice, Gather and Unpack kernels copy the whole source tensor out of
 *   wasm memory for every step, which made slicing most of the forward's time.
 * - GPU backends (webgpu, tensorflow, webgl): time-major, all on the device; a step is one Slice
 *   kernel.
 *
 * Both read nothing back to the host inside a loop, and both run each step as:
 *   forward   h_t = act(h_{t-1} · U + P_t)            one fused matMul (+ add, act on wasm)
 *   backward  dh_t = da_{t+1} · Uᵀ + dSequence_t       one fused matMul (+ add on wasm)
 *             da_t = dh_t ⊙ act'_t                     one mul
 * with P = X · W + b for all steps in one matMul before the loop, and ∂W, ∂U, ∂b, ∂x as single
 * matMuls over all T·B rows after it.
 *
 * tanh runs through the identity tanh(a) = 2σ(2a) − 1, so that a step is ONE fused
 * matMul-with-sigmoid kernel (tfjs fuses sigmoid but not tanh; on wasm its sigmoid is vectorised
 * and its tanh is not). With s = (h + 1) / 2 the recurrence is
 *   s_t = σ(s_{t-1} · 4U + x_t · 2W + 2(b − 1ᵀU)),        h_t = 2 s_t − 1,
 * the same equation rearranged (h_{t-1} · U = s_{t-1} · 2U − 1ᵀU).
 */
import * as tf from '@tensorflow/tfjs';

export type Activation = 'tanh' | 'relu' | 'linear';
export type Layout = 'batch-major' | 'time-major';

/** What one forward pass leaves for BPTT. */
export interface ForwardState {
  layout: Layout;
  /** [B, T, D] (batch-major) or [T, B, D] (time-major). */
  x: tf.Tensor3D;
  h0: tf.Tensor2D; // [B, H]
  /** The states h_1..h_T: [B, T, H] or [T, B, H], as x. */
  h: tf.Tensor3D;
  kernel: tf.Tensor2D; // [D, H]
  recurrentKernel: tf.Tensor2D; // [H, H]
}

export interface ForwardResult {
  state: ForwardState;
  sequence: tf.Tensor3D; // [B, T, H]
  last: tf.Tensor2D; // [B, H]
}

export interface Grads {
  kernel: tf.Tensor2D; // [D, H]
  recurrentKernel: tf.Tensor2D; // [H, H]
  bias: tf.Tensor1D | null; // [H]
  /** Absent when input gradients were not asked for. */
  x?: tf.Tensor3D; // [B, T, D]
  h0?: tf.Tensor2D; // [B, H]
  /** ∂L/∂h_t for all t: [B, T, H]. */
  state?: tf.Tensor3D;
}

// ---------------------------------------------------------------------------------------------
// Step primitives.

type FusedAct = 'linear' | 'relu' | 'sigmoid';

type MatMulAddAct = (a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D, act: FusedAct) => tf.Tensor2D;

/**
 * act(a · b + c), c of the output's full shape, as the backend allows: one fused kernel, or on
 * wasm (whose fused matMul takes only a rank-1 bias) matMul + add + act. Chosen once per loop.
 */
function matMulAddActFor(backendName: string): MatMulAddAct {
  if (backendName !== 'wasm') return (a, b, c, act) => tf.fused.matMul({ a, b, bias: c, activation: act }) as tf.Tensor2D;
  return (a, b, c, act) => {
    const z = tf.add(tf.matMul(a, b), c) as tf.Tensor2D;
    return act === 'linear' ? z : act === 'relu' ? tf.relu(z) : tf.sigmoid(z);
  };
}

/** aᵀ · b. wasm's matMul runs its transpose flags on a slow scalar path: transpose explicitly there. */
function matMulTransposeA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.getBackend() === 'wasm' ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}

/**
 * The weights and initial state of the recurrence as it is run: for tanh, the sigmoid form
 * (2W, 4U, 2(b − 1ᵀU), s0 = (h0 + 1) / 2); otherwise W, U, b, h0 themselves.
 */
function runWeights(
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  h0: tf.Tensor2D,
  activation: Activation,
): { W: tf.Tensor2D; U: tf.Tensor2D; c: tf.Tensor1D | null; state0: tf.Tensor2D; act: FusedAct } {
  if (activation !== 'tanh') return { W: kernel, U: recurrentKernel, c: bias, state0: h0, act: activation };
  const H = kernel.shape[1];
  const bMinusColSum = tf.sub(bias ?? tf.zeros([H]), tf.sum(recurrentKernel, 0)); // b − 1ᵀU  [H]
  return {
    W: tf.mul(kernel, 2),
    U: tf.mul(recurrentKernel, 4),
    c: tf.mul(bMinusColSum, 2) as tf.Tensor1D,
    state0: tf.mul(tf.add(h0, 1), 0.5),
    act: 'sigmoid',
  };
}

/** P = X · W + c for all rows at once. X [N, D] → [N, H]. */
function project(X: tf.Tensor2D, W: tf.Tensor2D, c: tf.Tensor1D | null): tf.Tensor2D {
  return c === null ? tf.matMul(X, W) : (tf.fused.matMul({ a: X, b: W, bias: c }) as tf.Tensor2D);
}

// ---------------------------------------------------------------------------------------------
// Arrangements: how [·, ·, H] tensors are laid out and cut into steps / assembled from steps.

/** An elementwise map, written twice: over host values and as tensor ops on the device. */
interface ElementMap {
  host: (v: Float32Array) => Float32Array;
  device: (y: tf.Tensor) => tf.Tensor;
}

// Plain loops: Float32Array.prototype.map with a closure is several times slower in V8.
const STATE_FROM_SIGMOID: ElementMap = {
  host: (v) => {
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = 2 * v[i] - 1;
    return out;
  },
  device: (s) => tf.sub(tf.mul(s, 2), 1),
};
const DERIVATIVE: Record<Activation, ElementMap | null> = {
  tanh: {
    host: (v) => {
      const out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = 1 - v[i] * v[i];
      return out;
    },
    device: (h) => tf.sub(1, tf.square(h)),
  },
  relu: {
    host: (v) => {
      const out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = v[i] > 0 ? 1 : 0;
      return out;
    },
    device: (h) => tf.step(h),
  },
  linear: null,
};

interface Arrangement {
  layout: Layout;
  /** The T steps [B, H] of a [·, ·, H] tensor in this layout, each mapped by `map`. */
  steps(x: tf.Tensor3D, B: number, T: number, map?: ElementMap): (t: number) => tf.Tensor2D;
  /** A [·, ·, H] tensor in this layout from T step tensors [B, H], mapped by `map`. */
  assemble(steps: tf.Tensor2D[], map?: ElementMap): tf.Tensor3D;
  /** [h0, h_1 .. h_{T-1}] in this layout: the state before each step. h [·, ·, H], h0 [B, H]. */
  previous(h: tf.Tensor3D, h0: tf.Tensor2D, B: number, T: number): tf.Tensor3D;
}

/** The state before each step of a time-major h, by tensor ops (a Slice and a Concat). */
function previousByOps(h: tf.Tensor3D, h0: tf.Tensor2D, B: number, T: number): tf.Tensor3D {
  const h0e = tf.expandDims(h0, 0) as tf.Tensor3D; // [1, B, H]
  if (T === 1) return h0e;
  return tf.concat([h0e, tf.slice(h, [0, 0, 0], [T - 1, B, h.shape[2]])], 0);
}

function mapped(v: Float32Array, map?: ElementMap): Float32Array {
  return map === undefined ? v : map.host(v);
}

/** cpu: batch-major; steps are cut and assembled by strided copies on the host. */
const hostBatchMajor: Arrangement = {
  layout: 'batch-major',
  steps(x, B, T, map) {
    const v = mapped(x.dataSync() as Float32Array, map);
    const H = x.shape[2];
    const steps: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const out = new Float32Array(B * H);
      for (let b = 0; b < B; b++) out.set(v.subarray((b * T + t) * H, (b * T + t + 1) * H), b * H);
      steps.push(tf.tensor2d(out, [B, H]));
    }
    return (t) => steps[t];
  },
  assemble(steps, map) {
    const T = steps.length;
    const [B, H] = steps[0].shape;
    const out = new Float32Array(B * T * H);
    steps.forEach((s, t) => {
      const v = mapped(s.dataSync() as Float32Array, map);
      for (let b = 0; b < B; b++) out.set(v.subarray(b * H, (b + 1) * H), (b * T + t) * H);
    });
    return tf.tensor3d(out, [B, T, H]);
  },
  previous(h, h0, B, T) {
    // By host copies: a Slice along T of a batch-major tensor goes element by element on cpu.
    const H = h.shape[2];
    const hv = h.dataSync() as Float32Array;
    const h0v = h0.dataSync() as Float32Array;
    const out = new Float32Array(B * T * H);
    for (let b = 0; b < B; b++) {
      out.set(h0v.subarray(b * H, (b + 1) * H), b * T * H);
      out.set(hv.subarray(b * T * H, (b * T + T - 1) * H), (b * T + 1) * H);
    }
    return tf.tensor3d(out, [B, T, H]);
  },
};

/** wasm: time-major; a step is a view of one host copy; assembled by one host copy. */
const hostTimeMajor: Arrangement = {
  layout: 'time-major',
  steps(x, B, T, map) {
    const v = mapped(x.dataSync() as Float32Array, map);
    const n = B * x.shape[2];
    const steps: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) steps.push(tf.tensor2d(v.subarray(t * n, (t + 1) * n), [B, x.shape[2]]));
    return (t) => steps[t];
  },
  assemble(steps, map) {
    if (map === undefined) return tf.stack(steps) as tf.Tensor3D; // wasm's Concat copies each step once
    const T = steps.length;
    const [B, H] = steps[0].shape;
    const out = new Float32Array(T * B * H);
    steps.forEach((s, t) => out.set(mapped(s.dataSync() as Float32Array, map), t * B * H));
    return tf.tensor3d(out, [T, B, H]);
  },
  previous(h, h0, B, T) {
    // One host copy; wasm's Slice would copy all of h out of wasm memory first.
    const n = B * h.shape[2];
    const out = new Float32Array(T * n);
    out.set(h0.dataSync() as Float32Array, 0);
    out.set((h.dataSync() as Float32Array).subarray(0, (T - 1) * n), n);
    return tf.tensor3d(out, [T, B, h.shape[2]]);
  },
};

/** GPU backends: time-major; a step is one Slice kernel; assembled by one Pack kernel. */
const deviceTimeMajor: Arrangement = {
  layout: 'time-major',
  steps(x, B, T, map) {
    const src = (map === undefined ? x : map.device(x)) as tf.Tensor3D;
    const H = x.shape[2];
    return (t) => tf.reshape(tf.slice(src, [t, 0, 0], [1, B, H]), [B, H]) as tf.Tensor2D;
  },
  assemble(steps, map) {
    const S = tf.stack(steps) as tf.Tensor3D;
    return (map === undefined ? S : map.device(S)) as tf.Tensor3D;
  },
  previous: previousByOps,
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
  forcedArrangement = name;
}

function arrangementFor(backendName: string): Arrangement {
  if (forcedArrangement !== null) return ARRANGEMENTS[forcedArrangement];
  if (backendName === 'cpu') return hostBatchMajor;
  if (backendName === 'wasm') return hostTimeMajor;
  return deviceTimeMajor;
}

/** [B, T, ·] ↔ [T, B, ·] */
function swapBatchTime(t: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(t, [1, 0, 2]);
}

/** x [B, T, ·] (the user's layout) in layout `layout`, and back. */
function toLayout(x: tf.Tensor3D, layout: Layout): tf.Tensor3D {
  return layout === 'batch-major' ? x : swapBatchTime(x);
}
const fromLayout = toLayout;

// ---------------------------------------------------------------------------------------------
// The two loops.

function forwardLoop(
  ar: Arrangement,
  x: tf.Tensor3D, // [B, T, D] or [T, B, D], per ar.layout
  B: number,
  T: number,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  h0: tf.Tensor2D, // [B, H]
  activation: Activation,
): { h: tf.Tensor3D; last: tf.Tensor2D } {
  const D = x.shape[2];
  const H = kernel.shape[1];
  const r = runWeights(kernel, recurrentKernel, bias, h0, activation);
  const P = project(tf.reshape(x, [B * T, D]) as tf.Tensor2D, r.W, r.c); // [B·T, H]
  const Pt = ar.steps(tf.reshape(P, [x.shape[0], x.shape[1], H]) as tf.Tensor3D, B, T);
  const step = matMulAddActFor(tf.getBackend());
  const states: tf.Tensor2D[] = [];
  let state = r.state0;
  for (let t = 0; t < T; t++) {
    const prev = state;
    state = tf.tidy(() => step(prev, r.U, Pt(t), r.act)); // [B, H]
    states.push(state);
  }
  const toState = activation === 'tanh' ? STATE_FROM_SIGMOID : undefined;
  const h = ar.assemble(states, toState); // h_1..h_T
  const last = (toState === undefined ? tf.clone(state) : toState.device(state)) as tf.Tensor2D; // [B, H]
  return { h, last };
}

function backwardLoop(
  ar: Arrangement,
  st: ForwardState,
  B: number,
  T: number,
  activation: Activation,
  hasBias: boolean,
  dSeq: tf.Tensor3D | null, // per ar.layout
  dLast: tf.Tensor2D | null, // [B, H]
  returnStateGradients: boolean,
  inputGradients: boolean,
): Grads {
  const D = st.x.shape[2];
  const H = st.kernel.shape[1];
  const deriv = DERIVATIVE[activation];
  const derivStep = deriv === null ? null : ar.steps(st.h, B, T, deriv);
  const dSeqStep = dSeq === null ? null : ar.steps(dSeq, B, T);
  const Ut = tf.transpose(st.recurrentKernel); // [H, H]
  const { das, dhs } = bpttLoop(T, Ut, dLast, dSeqStep, derivStep, returnStateGradients);

  const hPrev3 = ar.previous(st.h, st.h0, B, T); // h_{t-1} for every (b, t)
  const dA = tf.reshape(ar.assemble(das), [B * T, H]) as tf.Tensor2D; // [B·T, H]
  const X = tf.reshape(st.x, [B * T, D]) as tf.Tensor2D; // [B·T, D]
  const rows = st.x.shape.slice(0, 2) as [number, number];
  const out: Grads = {
    kernel: matMulTransposeA(X, dA), // [D, H]
    recurrentKernel: matMulTransposeA(tf.reshape(hPrev3, [B * T, H]) as tf.Tensor2D, dA), // [H, H]
    bias: hasBias ? columnSums(dA) : null, // [H]
  };
  if (inputGradients) {
    out.x = fromLayout(tf.reshape(tf.matMul(dA, tf.transpose(st.kernel)), [...rows, D]) as tf.Tensor3D, ar.layout); // [B, T, D]
    out.h0 = tf.matMul(das[0], Ut) as tf.Tensor2D; // [B, H]
  }
  if (returnStateGradients) out.state = fromLayout(ar.assemble(dhs), ar.layout);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces.

/** Σ over rows of [N, H] as a matMul with a row of ones (tfjs's Sum over axis 0 transposes first). */
function columnSums(a: tf.Tensor2D): tf.Tensor1D {
  const [N, H] = a.shape;
  return tf.reshape(tf.matMul(tf.ones([1, N]) as tf.Tensor2D, a), [H]) as tf.Tensor1D;
}

/**
 * The BPTT recurrence, t = T-1 .. 0:
 *   dh_t = da_{t+1} · Uᵀ + dSequence_t   (dh_{T-1} = dLast + dSequence_{T-1})
 *   da_t = dh_t ⊙ act'_t
 * Returns da_t for all t (and dh_t when asked for).
 */
function bpttLoop(
  T: number,
  Ut: tf.Tensor2D,
  dLast: tf.Tensor2D | null,
  dSeqStep: ((t: number) => tf.Tensor2D) | null,
  derivStep: ((t: number) => tf.Tensor2D) | null,
  keepDh: boolean,
): { das: tf.Tensor2D[]; dhs: tf.Tensor2D[] } {
  const matMulAddAct = matMulAddActFor(tf.getBackend());
  const das: tf.Tensor2D[] = new Array(T);
  const dhs: tf.Tensor2D[] = new Array(T);
  let daNext: tf.Tensor2D | null = null;
  for (let t = T - 1; t >= 0; t--) {
    const next: tf.Tensor2D | null = daNext;
    const [dh, da] = tf.tidy(() => {
      let dh: tf.Tensor2D; // ∂L/∂h_t  [B, H]
      if (next === null) {
        const parts = [dLast, dSeqStep === null ? null : dSeqStep(t)].filter((p): p is tf.Tensor2D => p !== null);
        dh = parts.length === 2 ? tf.add(parts[0], parts[1]) : tf.clone(parts[0]);
      } else {
        dh = dSeqStep === null ? tf.matMul(next, Ut) : matMulAddAct(next, Ut, dSeqStep(t), 'linear');
      }
      const da = derivStep === null ? dh : (tf.mul(dh, derivStep(t)) as tf.Tensor2D); // ∂L/∂a_t  [B, H]
      return [dh, da] as [tf.Tensor2D, tf.Tensor2D];
    });
    das[t] = da;
    if (keepDh) dhs[t] = dh;
    else if (dh !== da) dh.dispose();
    daNext = da;
  }
  return { das, dhs };
}

/**
 * Forward pass. x [B, T, D], h0 [B, H]. Returns the tape state (owning its tensors, in the
 * layout of the current backend), the sequence [B, T, H] and the last state [B, H].
 */
export function runForward(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  h0: tf.Tensor2D,
  activation: Activation,
): ForwardResult {
  const ar = arrangementFor(tf.getBackend());
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const H = kernel.shape[1];
    const xl = toLayout(x, ar.layout);
    const { h, last } = forwardLoop(ar, xl, B, T, kernel, recurrentKernel, bias, h0, activation);
    const state: ForwardState = {
      layout: ar.layout,
      x: ar.layout === 'batch-major' ? tf.clone(x) : xl,
      h0: tf.clone(h0),
      h,
      kernel: tf.clone(kernel),
      recurrentKernel: tf.clone(recurrentKernel),
    };
    const sequence = ar.layout === 'batch-major' ? tf.clone(h) : swapBatchTime(h);
    return { state, sequence, last } as unknown as tf.TensorContainerObject;
  }) as unknown as ForwardResult;
}

/** BPTT from the tape state. dSeq [B, T, H] and dLast [B, H] may each be null, not both. */
export function runBackward(
  st: ForwardState,
  activation: Activation,
  hasBias: boolean,
  dSeq: tf.Tensor3D | null,
  dLast: tf.Tensor2D | null,
  returnStateGradients: boolean,
  inputGradients = true,
): Grads {
  const ar = arrangementFor(tf.getBackend());
  return tf.tidy(() => {
    // A tape made on another backend is brought to this backend's layout first.
    const [B, T] = st.layout === 'batch-major' ? st.x.shape : [st.x.shape[1], st.x.shape[0]];
    const relayout = (t: tf.Tensor3D) => (st.layout === ar.layout ? t : swapBatchTime(t));
    const here: ForwardState = { ...st, layout: ar.layout, x: relayout(st.x), h: relayout(st.h) };
    const dSeqL = dSeq === null ? null : toLayout(dSeq, ar.layout);
    const g = backwardLoop(ar, here, B, T, activation, hasBias, dSeqL, dLast, returnStateGradients, inputGradients);
    return g as unknown as tf.TensorContainerObject;
  }) as unknown as Grads;
}

export function disposeState(st: ForwardState): void {
  tf.dispose([st.x, st.h0, st.h, st.kernel, st.recurrentKernel]);
}
