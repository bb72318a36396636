/**
 * SimpleRNN: the Elman recurrence, written out by hand, with its backward pass (BPTT) by hand.
 *
 * Shapes: B batch, T time steps, D input features, H units. Keras layout and names.
 *
 *   x        [B, T, D]   input (or [T, D] for one sequence)
 *   h0       [B, H]      initial state (zeros when absent)
 *   kernel   W [D, H]    recurrentKernel U [H, H]    bias b [H]
 *
 * Forward, for t = 1..T:
 *   a_t = x_t · W + h_{t-1} · U + b                               [B, H]
 *   h_t = act(a_t)            act ∈ {tanh, relu, linear}           [B, H]
 *   sequence = [h_1 .. h_T]   [B, T, H];   last = h_T   [B, H]
 *
 * Backward (BPTT) of the scalar L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last:
 *   dh_T     = dLast + dSequence_T
 *   da_t     = dh_t ⊙ act'(a_t)      tanh: 1 - h_t²;  relu: [h_t > 0];  linear: 1
 *   dh_{t-1} = da_t · Uᵀ + dSequence_{t-1}          (and dh_0 = da_1 · Uᵀ is ∂L/∂h0)
 *   ∂L/∂W = Σ_t x_tᵀ · da_t     ∂L/∂U = Σ_t h_{t-1}ᵀ · da_t     ∂L/∂b = Σ_t Σ_batch da_t
 *   ∂L/∂x_t = da_t · Wᵀ
 *
 * How it is computed (the math above is exact; only the grouping of the work is chosen for speed):
 * - Time-major inside: x is transposed once to [T, B, D], so a time step is a contiguous block.
 * - The input projection P = X·W + b for all time steps is ONE matMul of [T·B, D]·[D, H]; the
 *   loop only does h_{t-1}·U, added to P_t.
 * - In BPTT the loop only carries dh through Uᵀ; the weight gradients and ∂L/∂x are each ONE
 *   matMul over all T·B rows after the loop, and transposes are explicit (wasm's matMul is several
 *   times slower with its transpose flags).
 * - No value is read back to the host inside either loop.
 * - Per-backend choices (see benchmarks/NOTES.md): a time step is taken with `gather` on wasm
 *   (its Slice copies the whole source tensor out of wasm memory) and with `slice` elsewhere; the
 *   `+ P_t` is fused into the matMul (`tf.fused.matMul` with a bias) except on wasm, whose fused
 *   matMul accepts only a rank-1 bias.
 */
import * as tf from '@tensorflow/tfjs';
import { initBias, initKernel, initRecurrentKernel } from '../init';

export type Activation = 'tanh' | 'relu' | 'linear';
const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu', 'linear'];

export interface SimpleRNNConfig {
  inputDim: number;
  units: number;
  /** Default 'tanh'. */
  activation?: Activation;
  /** Default true. */
  useBias?: boolean;
  /** Seed of the initializers. Default 0. */
  seed?: number;
  /** Prefix of the variable names. Default 'simple_rnn'. */
  name?: string;
}

/** Upstream gradients: either or both. */
export interface SimpleRNNUpstream {
  /** ∂L/∂sequence, shape of `sequence` ([B, T, H] or [T, H]). */
  dSequence?: tf.Tensor;
  /** ∂L/∂last, shape of `last` ([B, H] or [H]). */
  dLast?: tf.Tensor;
}

export interface BackwardOptions {
  /** Also return `state`: the total gradient ∂L/∂h_t for every t, shaped like `sequence`. */
  returnStateGradients?: boolean;
}

export interface SimpleRNNGrads {
  kernel: tf.Tensor2D; // [D, H]
  recurrentKernel: tf.Tensor2D; // [H, H]
  /** null when the cell has no bias. */
  bias: tf.Tensor1D | null; // [H]
  /** ∂L/∂x, shape of x. */
  input: tf.Tensor;
  /** ∂L/∂h0, shape of h0 ([B, H] or [H]). */
  initialState: tf.Tensor;
  /** ∂L/∂h_t for all t (shape of sequence), when asked for with returnStateGradients. */
  state?: tf.Tensor;
}

export interface SimpleRNNOutput {
  sequence: tf.Tensor; // [B, T, H] or [T, H]
  last: tf.Tensor; // [B, H] or [H]
  tape: SimpleRNNTape;
}

/** The time-major tensors one forward pass leaves for BPTT. */
interface ForwardState {
  x: tf.Tensor3D; // [T, B, D]
  h0: tf.Tensor2D; // [B, H]
  s: tf.Tensor3D; // [T, B, H]  the states h_1..h_T
  kernel: tf.Tensor2D; // [D, H]
  recurrentKernel: tf.Tensor2D; // [H, H]
}

/**
 * What `forward` records for `backward`: the inputs, the states and the weights as they were at
 * forward time (so an optimizer step in between cannot corrupt the gradient). Owns its tensors:
 * call dispose() when done.
 */
export class SimpleRNNTape {
  private state: ForwardState | null;

  constructor(
    state: ForwardState,
    readonly activation: Activation,
    readonly hasBias: boolean,
    /** True when the input was one sequence [T, D] rather than a batch [B, T, D]. */
    readonly unbatched: boolean,
  ) {
    this.state = state;
  }

  get isDisposed(): boolean {
    return this.state === null;
  }

  /** @internal */
  get forwardState(): ForwardState {
    if (this.state === null) {
      throw new Error('expected a live tape, got a disposed one: run forward() again before backward()');
    }
    return this.state;
  }

  dispose(): void {
    if (this.state === null) return;
    const st = this.state;
    tf.dispose([st.x, st.h0, st.s, st.kernel, st.recurrentKernel]);
    this.state = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Shape checks: every error names what was expected and what was given.

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkPositiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`expected ${name} to be a positive integer, got ${String(v)}`);
  }
  return v;
}

function checkActivation(v: unknown): Activation {
  if (!ACTIVATIONS.includes(v as Activation)) {
    throw new Error(`expected activation to be one of ${ACTIVATIONS.join(', ')}, got ${String(v)}`);
  }
  return v as Activation;
}

function checkShape(what: string, t: tf.Tensor, expected: readonly number[], expectedText?: string): void {
  const ok = t.rank === expected.length && t.shape.every((s, i) => s === expected[i]);
  if (!ok) throw new Error(`expected ${what} ${expectedText ?? fmt(expected)}, got ${fmt(t.shape)}`);
}

function checkFloat(what: string, t: tf.Tensor): void {
  if (t.dtype !== 'float32') throw new Error(`expected ${what} of dtype float32, got ${t.dtype}`);
}

/** Validates x (and h0) against D and H; returns B, T and whether x was a single sequence. */
function checkInput(
  x: tf.Tensor,
  D: number,
  H: number,
  h0?: tf.Tensor | null,
): { B: number; T: number; unbatched: boolean } {
  if (!(x instanceof tf.Tensor)) throw new Error(`expected input to be a tf.Tensor, got ${typeof x}`);
  if (x.rank !== 3 && x.rank !== 2) {
    throw new Error(`expected input [batch, time, ${D}] or [time, ${D}], got ${fmt(x.shape)} (rank ${x.rank})`);
  }
  const unbatched = x.rank === 2;
  const [B, T, Dx] = unbatched ? [1, x.shape[0], x.shape[1]] : x.shape;
  const expectedText = unbatched ? `[time, ${D}]` : `[batch, time, ${D}]`;
  if (Dx !== D) throw new Error(`expected input ${expectedText}, got ${fmt(x.shape)}`);
  if (T === 0) throw new Error(`expected at least one time step, got input ${fmt(x.shape)}`);
  if (B === 0) throw new Error(`expected at least one sequence in the batch, got input ${fmt(x.shape)}`);
  checkFloat('input', x);
  if (h0 != null) {
    if (!(h0 instanceof tf.Tensor)) throw new Error(`expected initial state to be a tf.Tensor, got ${typeof h0}`);
    checkShape('initial state', h0, unbatched ? [H] : [B, H]);
    checkFloat('initial state', h0);
  }
  return { B, T, unbatched };
}

// ---------------------------------------------------------------------------------------------
// The per-backend step primitives. Same math everywhere.

/** Backends whose tensors live in host-addressable memory (a JS typed array or the wasm heap). */
function hostMemoryBackend(): boolean {
  const name = tf.getBackend();
  return name === 'cpu' || name === 'wasm';
}

/**
 * The T time steps of a time-major [T, B, H] tensor, each [B, H].
 * On cpu and wasm the tensor is read once (before any loop) and cut into T tensors over views of
 * that one copy: tfjs's Slice/Gather/Unpack kernels there copy the WHOLE source (wasm) or go
 * element by element (cpu) for every step, which made slicing the largest cost of a forward pass.
 * On GPU backends a step is a Slice kernel, run lazily inside the loop (no read back to the host).
 */
function timeSteps(x: tf.Tensor3D): (t: number) => tf.Tensor2D {
  const [T, B, H] = x.shape;
  if (hostMemoryBackend()) {
    const values = x.dataSync() as Float32Array;
    const steps: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) steps.push(tf.tensor2d(values.subarray(t * B * H, (t + 1) * B * H), [B, H]));
    return (t) => steps[t];
  }
  return (t) => tf.reshape(tf.slice(x, [t, 0, 0], [1, B, H]), [B, H]) as tf.Tensor2D;
}

/** act(a · b + c), c of the output's full shape: one fused kernel where the backend allows it. */
function matMulAddAct(a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D, act: 'linear' | 'relu' | 'sigmoid'): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.fused.matMul({ a, b, bias: c, activation: act }) as tf.Tensor2D;
  // wasm's fused matMul takes only a rank-1 bias.
  const z = tf.add(tf.matMul(a, b), c) as tf.Tensor2D;
  return act === 'linear' ? z : act === 'relu' ? tf.relu(z) : tf.sigmoid(z);
}

/** act'(a) for every step, from the states h = act(a): [T, B, H]; null for linear (all ones). */
function activationDerivative(s: tf.Tensor3D, activation: Activation): tf.Tensor3D | null {
  if (activation === 'tanh') return tf.sub(1, tf.square(s)) as tf.Tensor3D;
  if (activation === 'relu') return tf.step(s);
  return null;
}

// ---------------------------------------------------------------------------------------------
// The core: time-major forward and BPTT, shared by the class and the customGrad entry points.

/**
 * Runs the recurrence on time-major input. Returns the states [T, B, H].
 *
 * tanh runs through the identity tanh(a) = 2σ(2a) − 1, which lets the whole step be ONE fused
 * matMul-with-sigmoid kernel (tfjs fuses sigmoid, not tanh, and its sigmoid is vectorised on wasm
 * where tanh is not). With s = (h + 1) / 2, the recurrence in s is
 *   s_t = σ(s_{t-1} · 4U + x_t · 2W + 2(b − 1ᵀU)),      h_t = 2 s_t − 1,
 * the same equations as above rearranged (h_{t-1}·U = s_{t-1}·2U − 1ᵀU). relu and linear need no
 * rearranging: h_t = act(h_{t-1} · U + x_t · W + b).
 */
function forwardTimeMajor(
  x: tf.Tensor3D, // [T, B, D]
  kernel: tf.Tensor2D, // [D, H]
  recurrentKernel: tf.Tensor2D, // [H, H]
  bias: tf.Tensor1D | null, // [H]
  h0: tf.Tensor2D, // [B, H]
  activation: Activation,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [T, B, D] = x.shape;
    const H = kernel.shape[1];
    const viaSigmoid = activation === 'tanh';
    let W = kernel;
    let U = recurrentKernel;
    let c: tf.Tensor1D | null = bias; // [H]
    let state = h0; // [B, H]
    if (viaSigmoid) {
      W = tf.mul(kernel, 2);
      U = tf.mul(recurrentKernel, 4);
      const cs = tf.sub(bias ?? tf.zeros([H]), tf.sum(recurrentKernel, 0)); // b − 1ᵀU  [H]
      c = tf.mul(cs, 2) as tf.Tensor1D;
      state = tf.mul(tf.add(h0, 1), 0.5);
    }
    const X = tf.reshape(x, [T * B, D]) as tf.Tensor2D; // [T·B, D]
    const P = c === null ? tf.matMul(X, W) : (tf.fused.matMul({ a: X, b: W, bias: c }) as tf.Tensor2D); // [T·B, H]
    const Pt = timeSteps(tf.reshape(P, [T, B, H]) as tf.Tensor3D);
    const act = viaSigmoid ? 'sigmoid' : activation;
    const states: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const prev = state;
      state = tf.tidy(() => matMulAddAct(prev, U, Pt(t), act)); // [B, H]
      states.push(state);
    }
    const S = tf.stack(states) as tf.Tensor3D; // [T, B, H]
    return viaSigmoid ? (tf.sub(tf.mul(S, 2), 1) as tf.Tensor3D) : S;
  });
}

interface TimeMajorGrads {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D | null;
  x: tf.Tensor3D; // [T, B, D]
  h0: tf.Tensor2D; // [B, H]
  state?: tf.Tensor3D; // [T, B, H]
}

/** BPTT on time-major tensors. dSeq [T, B, H] and dLast [B, H] may each be null, not both. */
function backwardTimeMajor(
  st: ForwardState,
  activation: Activation,
  hasBias: boolean,
  dSeq: tf.Tensor3D | null,
  dLast: tf.Tensor2D | null,
  returnStateGradients: boolean,
): TimeMajorGrads {
  return tf.tidy(() => {
    const [T, B, D] = st.x.shape;
    const H = st.kernel.shape[1];
    const Ut = tf.transpose(st.recurrentKernel); // [H, H]
    const deriv = activationDerivative(st.s, activation); // [T, B, H] or null
    const derivT = deriv === null ? null : timeSteps(deriv);
    const dSeqT = dSeq === null ? null : timeSteps(dSeq);
    const das: tf.Tensor2D[] = new Array(T);
    const dhs: tf.Tensor2D[] = new Array(T);
    let daNext: tf.Tensor2D | null = null;
    for (let t = T - 1; t >= 0; t--) {
      const [dh, da] = tf.tidy(() => {
        let dh: tf.Tensor2D; // ∂L/∂h_t  [B, H]
        if (daNext === null) {
          const parts = [dLast, dSeqT === null ? null : dSeqT(t)].filter((p) => p !== null);
          dh = parts.length === 2 ? tf.add(parts[0], parts[1]) : tf.clone(parts[0] as tf.Tensor2D);
        } else {
          dh = dSeqT === null ? tf.matMul(daNext, Ut) : matMulAddAct(daNext, Ut, dSeqT(t), 'linear');
        }
        const da = derivT === null ? dh : tf.mul(dh, derivT(t)); // ∂L/∂a_t  [B, H]
        return [dh, da] as [tf.Tensor2D, tf.Tensor2D];
      });
      das[t] = da;
      if (returnStateGradients) dhs[t] = dh;
      else if (dh !== da) dh.dispose();
      daNext = da;
    }
    const dh0: tf.Tensor2D = tf.matMul(das[0], Ut); // [B, H]
    const dA = tf.reshape(tf.stack(das), [T * B, H]) as tf.Tensor2D; // [T·B, H]
    const X = tf.reshape(st.x, [T * B, D]) as tf.Tensor2D; // [T·B, D]
    const hPrev3 = T === 1 ? tf.expandDims(st.h0, 0) : tf.concat([tf.expandDims(st.h0, 0), tf.slice(st.s, [0, 0, 0], [T - 1, B, H])], 0);
    const hPrev = tf.reshape(hPrev3, [T * B, H]) as tf.Tensor2D; // [T·B, H]
    const out: TimeMajorGrads = {
      kernel: tf.matMul(tf.transpose(X), dA), // [D, H]
      recurrentKernel: tf.matMul(tf.transpose(hPrev), dA), // [H, H]
      bias: hasBias ? (tf.sum(dA, 0) as tf.Tensor1D) : null, // [H]
      x: tf.reshape(tf.matMul(dA, tf.transpose(st.kernel)), [T, B, D]) as tf.Tensor3D, // [T, B, D]
      h0: dh0,
    };
    if (returnStateGradients) out.state = tf.stack(dhs) as tf.Tensor3D; // [T, B, H]
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as TimeMajorGrads;
}

/** [B, T, ·] ↔ [T, B, ·] */
function swapBatchTime<R extends tf.Rank.R3>(t: tf.Tensor<R>): tf.Tensor3D {
  return tf.transpose(t, [1, 0, 2]) as tf.Tensor3D;
}

// ---------------------------------------------------------------------------------------------
// The differentiable entry points: tf.customGrad whose gradient IS the manual BPTT above.

function customRNN(
  returnSequences: boolean,
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  h0: tf.Tensor2D | null,
  activation: Activation,
): tf.Tensor {
  checkActivation(activation);
  checkShape('kernel', kernel, [kernel.shape[0], kernel.shape[1]], '[inputDim, units]');
  const [D, H] = kernel.shape;
  checkShape('recurrentKernel', recurrentKernel, [H, H]);
  if (bias !== null) checkShape('bias', bias, [H]);
  if (x.rank !== 3) throw new Error(`expected input [batch, time, ${D}], got ${fmt(x.shape)}`);
  checkInput(x, D, H, h0);
  const inputs: tf.Tensor[] = [x, kernel, recurrentKernel];
  if (bias !== null) inputs.push(bias);
  if (h0 !== null) inputs.push(h0);

  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xIn, k, u] = args as tf.Tensor[];
    const b = bias !== null ? (args[3] as tf.Tensor1D) : null;
    const h0In = h0 !== null ? (args[bias !== null ? 4 : 3] as tf.Tensor2D) : null;
    const [B] = xIn.shape;
    const xTM = swapBatchTime(xIn as tf.Tensor3D); // [T, B, D]
    const h0TM = h0In ?? (tf.zeros([B, H]) as tf.Tensor2D); // [B, H]
    const s = forwardTimeMajor(xTM, k as tf.Tensor2D, u as tf.Tensor2D, b, h0TM, activation); // [T, B, H]
    save([xTM, h0TM, s, k, u]);
    const T = s.shape[0];
    const value = returnSequences
      ? swapBatchTime(s) // [B, T, H]
      : (tf.reshape(tf.slice(s, [T - 1, 0, 0], [1, B, H]), [B, H]) as tf.Tensor2D); // [B, H]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sh0, ss, sk, su] = saved;
      const st: ForwardState = {
        x: sx as tf.Tensor3D,
        h0: sh0 as tf.Tensor2D,
        s: ss as tf.Tensor3D,
        kernel: sk as tf.Tensor2D,
        recurrentKernel: su as tf.Tensor2D,
      };
      const g = returnSequences
        ? backwardTimeMajor(st, activation, b !== null, swapBatchTime(dy as tf.Tensor3D), null, false)
        : backwardTimeMajor(st, activation, b !== null, null, dy as tf.Tensor2D, false);
      const grads: tf.Tensor[] = [swapBatchTime(g.x), g.kernel, g.recurrentKernel];
      if (g.bias !== null) grads.push(g.bias);
      if (h0In !== null) grads.push(g.h0);
      return grads;
    };
    return { value, gradFunc };
  });
  return f(...inputs);
}

/**
 * Differentiable SimpleRNN returning the whole sequence [B, T, H]. Its gradient (for tf.grad,
 * tf.variableGrads, optimizer.minimize) is our manual BPTT, not tfjs autodiff.
 * x [B, T, D]; kernel [D, H]; recurrentKernel [H, H]; bias [H] or null; h0 [B, H] or null (zeros).
 */
export function simpleRNNSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  h0: tf.Tensor2D | null = null,
  activation: Activation = 'tanh',
): tf.Tensor3D {
  return customRNN(true, x, kernel, recurrentKernel, bias, h0, activation) as tf.Tensor3D;
}

/** Like simpleRNNSequence, returning only the last state [B, H] (BPTT starts from dLast). */
export function simpleRNNLast(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  h0: tf.Tensor2D | null = null,
  activation: Activation = 'tanh',
): tf.Tensor2D {
  return customRNN(false, x, kernel, recurrentKernel, bias, h0, activation) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------
// The cell.

let cellCounter = 0;

export class SimpleRNN {
  readonly inputDim: number;
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly name: string;
  readonly kernel: tf.Variable<tf.Rank.R2>; // [D, H]
  readonly recurrentKernel: tf.Variable<tf.Rank.R2>; // [H, H]
  /** null when useBias is false. */
  readonly bias: tf.Variable<tf.Rank.R1> | null; // [H]

  constructor(config: SimpleRNNConfig) {
    if (config == null || typeof config !== 'object') {
      throw new Error(`expected a config { inputDim, units, ... }, got ${String(config)}`);
    }
    this.inputDim = checkPositiveInt('inputDim', config.inputDim);
    this.units = checkPositiveInt('units', config.units);
    this.activation = checkActivation(config.activation ?? 'tanh');
    this.useBias = config.useBias ?? true;
    const seed = config.seed ?? 0;
    if (!Number.isInteger(seed)) throw new Error(`expected seed to be an integer, got ${String(seed)}`);
    this.name = config.name ?? `simple_rnn_${cellCounter++}`;
    const [D, H] = [this.inputDim, this.units];
    this.kernel = tf.tidy(() => tf.variable(initKernel(D, H, seed), true, `${this.name}/kernel`));
    this.recurrentKernel = tf.tidy(() => tf.variable(initRecurrentKernel(H, seed), true, `${this.name}/recurrent_kernel`));
    this.bias = this.useBias ? tf.tidy(() => tf.variable(initBias(H), true, `${this.name}/bias`)) : null;
  }

  /** The trainable variables, in tf.layers order: kernel, recurrentKernel[, bias]. */
  get trainableWeights(): tf.Variable[] {
    return this.bias === null ? [this.kernel, this.recurrentKernel] : [this.kernel, this.recurrentKernel, this.bias];
  }

  /** D·H + H·H + H (42 for inputDim 10, units 3). */
  countParams(): number {
    return this.trainableWeights.reduce((n, w) => n + w.size, 0);
  }

  /** Copies of the weights, in tf.layers order [kernel, recurrentKernel, bias]. Caller disposes. */
  getWeights(): tf.Tensor[] {
    return this.trainableWeights.map((w) => tf.clone(w));
  }

  /** Sets the weights from [kernel, recurrentKernel(, bias)] (tf.layers order and shapes). */
  setWeights(weights: tf.Tensor[]): void {
    const names = this.useBias ? ['kernel', 'recurrentKernel', 'bias'] : ['kernel', 'recurrentKernel'];
    if (!Array.isArray(weights) || weights.length !== names.length) {
      const got = Array.isArray(weights) ? String(weights.length) : typeof weights;
      throw new Error(`expected ${names.length} weights [${names.join(', ')}], got ${got}`);
    }
    const vars = this.trainableWeights;
    weights.forEach((w, i) => {
      if (!(w instanceof tf.Tensor)) throw new Error(`expected ${names[i]} to be a tf.Tensor, got ${typeof w}`);
      checkShape(names[i], w, vars[i].shape);
      checkFloat(names[i], w);
    });
    weights.forEach((w, i) => vars[i].assign(w));
  }

  /**
   * Runs the recurrence. x [B, T, D] or [T, D]; h0 [B, H] or [H] (zeros when absent).
   * Returns sequence [B, T, H] (or [T, H]), last [B, H] (or [H]) and the tape for backward().
   * The caller disposes sequence, last and tape.
   */
  forward(x: tf.Tensor, h0?: tf.Tensor | null): SimpleRNNOutput {
    const [D, H] = [this.inputDim, this.units];
    const { B, T, unbatched } = checkInput(x, D, H, h0);
    const st = tf.tidy(() => {
      const xTM: tf.Tensor3D = unbatched ? (tf.reshape(x, [T, 1, D]) as tf.Tensor3D) : swapBatchTime(x as tf.Tensor3D);
      const h0TM = (h0 == null ? tf.zeros([B, H]) : tf.reshape(h0, [B, H])) as tf.Tensor2D;
      const s = forwardTimeMajor(xTM, this.kernel, this.recurrentKernel, this.bias, h0TM, this.activation);
      return { x: xTM, h0: h0TM, s, kernel: tf.clone(this.kernel), recurrentKernel: tf.clone(this.recurrentKernel) };
    }) as unknown as ForwardState;
    const { sequence, last } = tf.tidy(() => {
      const lastTM = tf.reshape(tf.slice(st.s, [T - 1, 0, 0], [1, B, H]), [B, H]);
      return unbatched
        ? { sequence: tf.reshape(st.s, [T, H]), last: tf.reshape(lastTM, [H]) }
        : { sequence: swapBatchTime(st.s), last: lastTM };
    });
    return { sequence, last, tape: new SimpleRNNTape(st, this.activation, this.useBias, unbatched) };
  }

  /**
   * Manual BPTT: gradients of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last with respect to the
   * weights, the input and the initial state. Does not dispose the tape.
   */
  backward(tape: SimpleRNNTape, upstream: SimpleRNNUpstream, options: BackwardOptions = {}): SimpleRNNGrads {
    if (!(tape instanceof SimpleRNNTape)) throw new Error(`expected a SimpleRNNTape from forward(), got ${typeof tape}`);
    const st = tape.forwardState;
    const { dSequence, dLast } = upstream ?? {};
    if (dSequence == null && dLast == null) {
      throw new Error('expected an upstream gradient dSequence and/or dLast, got neither');
    }
    const [T, B] = st.x.shape;
    const H = this.units;
    if (dSequence != null) {
      checkShape('dSequence (the shape of sequence)', dSequence, tape.unbatched ? [T, H] : [B, T, H]);
      checkFloat('dSequence', dSequence);
    }
    if (dLast != null) {
      checkShape('dLast (the shape of last)', dLast, tape.unbatched ? [H] : [B, H]);
      checkFloat('dLast', dLast);
    }
    const returnState = options.returnStateGradients === true;
    return tf.tidy(() => {
      const dSeqTM =
        dSequence == null
          ? null
          : tape.unbatched
            ? (tf.reshape(dSequence, [T, 1, H]) as tf.Tensor3D)
            : swapBatchTime(dSequence as tf.Tensor3D);
      const dLastTM = dLast == null ? null : (tf.reshape(dLast, [B, H]) as tf.Tensor2D);
      const g = backwardTimeMajor(st, tape.activation, tape.hasBias, dSeqTM, dLastTM, returnState);
      const D = st.x.shape[2];
      const out: SimpleRNNGrads = {
        kernel: g.kernel,
        recurrentKernel: g.recurrentKernel,
        bias: g.bias,
        input: tape.unbatched ? tf.reshape(g.x, [T, D]) : swapBatchTime(g.x),
        initialState: tape.unbatched ? tf.reshape(g.h0, [H]) : g.h0,
      };
      if (g.state !== undefined) out.state = tape.unbatched ? tf.reshape(g.state, [T, H]) : swapBatchTime(g.state);
      return out as unknown as tf.TensorContainerObject;
    }) as unknown as SimpleRNNGrads;
  }

  /**
   * Differentiable application (tf.customGrad; gradient = manual BPTT) for use inside
   * tf.variableGrads / optimizer.minimize. x [B, T, D]; returns [B, T, H] or [B, H].
   */
  apply(x: tf.Tensor3D, h0: tf.Tensor2D | null = null, options: { returnSequences?: boolean } = {}): tf.Tensor {
    checkInput(x, this.inputDim, this.units, h0);
    if (x.rank !== 3) throw new Error(`expected input [batch, time, ${this.inputDim}], got ${fmt(x.shape)}`);
    return customRNN(options.returnSequences === true, x, this.kernel, this.recurrentKernel, this.bias, h0, this.activation);
  }

  /** Disposes the weights. */
  dispose(): void {
    tf.dispose(this.trainableWeights);
  }
}
