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
 * How it is computed (simple_rnn_loops.ts): the math above is exact; only the grouping of the
 * work is chosen for speed. The input projection x·W + b for all steps is one matMul before the
 * loop; each step is one fused matMul (tanh through 2σ(2a) − 1); in BPTT the loop only carries dh
 * through Uᵀ, and the weight and input gradients are each one matMul over all T·B rows after it.
 * Nothing is read back to the host inside either loop.
 */
import * as tf from '@tensorflow/tfjs';
import { initBias, initKernel, initRecurrentKernel } from '../init';
import { Activation, ForwardState, disposeState, runBackward, runForward } from './simple_rnn_loops';

export type { Activation };
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

/** The weight gradients alone (see SimpleRNN.weightGradients). */
export type SimpleRNNWeightGrads = Pick<SimpleRNNGrads, 'kernel' | 'recurrentKernel' | 'bias'>;

export interface SimpleRNNOutput {
  sequence: tf.Tensor; // [B, T, H] or [T, H]
  last: tf.Tensor; // [B, H] or [H]
  tape: SimpleRNNTape;
}

/**
 * What `forward` records for `backward`: the input, the states and the weights as they were at
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
    /** [B, T, D] of the forward input (B = 1 when unbatched). */
    readonly inputShape: readonly [number, number, number],
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
    disposeState(this.state);
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
    const h0Run = h0In ?? (tf.zeros([B, H]) as tf.Tensor2D); // [B, H]
    const r = runForward(xIn as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, b, h0Run, activation);
    const layout = r.state.layout;
    save([r.state.x, r.state.h0, r.state.h, r.state.kernel, r.state.recurrentKernel]);
    const value = returnSequences ? r.sequence : r.last; // [B, T, H] or [B, H]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sh0, sh, sk, su] = saved;
      const st: ForwardState = {
        layout,
        x: sx as tf.Tensor3D,
        h0: sh0 as tf.Tensor2D,
        h: sh as tf.Tensor3D,
        kernel: sk as tf.Tensor2D,
        recurrentKernel: su as tf.Tensor2D,
      };
      const g = returnSequences
        ? runBackward(st, activation, b !== null, dy as tf.Tensor3D, null, false)
        : runBackward(st, activation, b !== null, null, dy as tf.Tensor2D, false);
      const grads: tf.Tensor[] = [g.x as tf.Tensor3D, g.kernel, g.recurrentKernel];
      if (g.bias !== null) grads.push(g.bias);
      if (h0In !== null) grads.push(g.h0 as tf.Tensor2D);
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
    const r = tf.tidy(() => {
      const x3 = tf.reshape(x, [B, T, D]) as tf.Tensor3D; // [B, T, D]
      const h0b = (h0 == null ? tf.zeros([B, H]) : tf.reshape(h0, [B, H])) as tf.Tensor2D; // [B, H]
      const out = runForward(x3, this.kernel, this.recurrentKernel, this.bias, h0b, this.activation);
      if (unbatched) {
        out.sequence = tf.reshape(out.sequence, [T, H]) as unknown as tf.Tensor3D; // [T, H]
        out.last = tf.reshape(out.last, [H]) as unknown as tf.Tensor2D; // [H]
      }
      return out as unknown as tf.TensorContainerObject;
    }) as unknown as ReturnType<typeof runForward>;
    const tape = new SimpleRNNTape(r.state, this.activation, this.useBias, unbatched, [B, T, D]);
    return { sequence: r.sequence, last: r.last, tape };
  }

  /**
   * Manual BPTT: gradients of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last with respect to the
   * weights, the input and the initial state. Does not dispose the tape.
   */
  backward(tape: SimpleRNNTape, upstream: SimpleRNNUpstream, options: BackwardOptions = {}): SimpleRNNGrads {
    const { st, dSequence, dLast, B, T, D, H } = this.checkUpstream(tape, upstream);
    const returnState = options.returnStateGradients === true;
    return tf.tidy(() => {
      const dSeq3 = dSequence == null ? null : (tf.reshape(dSequence, [B, T, H]) as tf.Tensor3D);
      const dLast2 = dLast == null ? null : (tf.reshape(dLast, [B, H]) as tf.Tensor2D);
      const g = runBackward(st, tape.activation, tape.hasBias, dSeq3, dLast2, returnState);
      const out: SimpleRNNGrads = {
        kernel: g.kernel,
        recurrentKernel: g.recurrentKernel,
        bias: g.bias,
        input: tape.unbatched ? tf.reshape(g.x as tf.Tensor3D, [T, D]) : (g.x as tf.Tensor3D),
        initialState: tape.unbatched ? tf.reshape(g.h0 as tf.Tensor2D, [H]) : (g.h0 as tf.Tensor2D),
      };
      if (g.state !== undefined) out.state = tape.unbatched ? tf.reshape(g.state, [T, H]) : g.state;
      return out as unknown as tf.TensorContainerObject;
    }) as unknown as SimpleRNNGrads;
  }

  /**
   * The weight gradients alone: what a training step of a first layer needs. Skips ∂x and ∂h0
   * (one [B·T, H]·[H, D] matMul fewer), as tfjs autodiff skips gradients nobody asked for.
   */
  weightGradients(tape: SimpleRNNTape, upstream: SimpleRNNUpstream): SimpleRNNWeightGrads {
    const { st, dSequence, dLast, B, T, H } = this.checkUpstream(tape, upstream);
    return tf.tidy(() => {
      const dSeq3 = dSequence == null ? null : (tf.reshape(dSequence, [B, T, H]) as tf.Tensor3D);
      const dLast2 = dLast == null ? null : (tf.reshape(dLast, [B, H]) as tf.Tensor2D);
      const g = runBackward(st, tape.activation, tape.hasBias, dSeq3, dLast2, false, false);
      return { kernel: g.kernel, recurrentKernel: g.recurrentKernel, bias: g.bias } as unknown as tf.TensorContainerObject;
    }) as unknown as SimpleRNNWeightGrads;
  }

  private checkUpstream(tape: SimpleRNNTape, upstream: SimpleRNNUpstream) {
    if (!(tape instanceof SimpleRNNTape)) throw new Error(`expected a SimpleRNNTape from forward(), got ${typeof tape}`);
    const st = tape.forwardState;
    const { dSequence, dLast } = upstream ?? {};
    if (dSequence == null && dLast == null) {
      throw new Error('expected an upstream gradient dSequence and/or dLast, got neither');
    }
    const [B, T, D] = tape.inputShape;
    const H = this.units;
    if (dSequence != null) {
      checkShape('dSequence (the shape of sequence)', dSequence, tape.unbatched ? [T, H] : [B, T, H]);
      checkFloat('dSequence', dSequence);
    }
    if (dLast != null) {
      checkShape('dLast (the shape of last)', dLast, tape.unbatched ? [H] : [B, H]);
      checkFloat('dLast', dLast);
    }
    return { st, dSequence, dLast, B, T, D, H };
  }

  /**
   * Differentiable application (tf.customGrad; gradient = manual BPTT) for use inside
   * tf.variableGrads / optimizer.minimize. x [B, T, D]; returns [B, T, H] or [B, H].
   */
  apply(x: tf.Tensor3D, h0: tf.Tensor2D | null = null, options: { returnSequences?: boolean } = {}): tf.Tensor {
    return customRNN(options.returnSequences === true, x, this.kernel, this.recurrentKernel, this.bias, h0, this.activation);
  }

  /** Disposes the weights. */
  dispose(): void {
    tf.dispose(this.trainableWeights);
  }
}
