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
 * How it runs (the time-step driver, src/scan/): x · W for all steps is one matMul before the loop;
 * a step is one fused matMul (+ add on wasm), the bias add and tfjs's tanh, rounding as the textbook
 * loop does; BPTT carries dh through Uᵀ (one
 * fused matMul and one mul per step) and forms the weight and input gradients after the loop. The
 * state carried is h itself, and tanh is tfjs's: carrying s = (h + 1)/2 through the identity
 * tanh(a) = 2σ(2a) − 1 would save a kernel per step, but its matMul adds 4s·U and −2·1ᵀU, large
 * terms that cancel, and σ rounds near 1/2: both lose digits whenever h is near 0 (src/scan/ops.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, Activation, activate, derivativeFromOutput, stepNeedsAutodiff } from './activations';
import { checkBoolean, checkOneOf } from './checks';
import type { CellDescriptor } from './descriptor';
import { autodiffSimpleRNN } from '../reference/autodiff';
import { referenceBackward, referenceForward } from '../reference/simple_rnn';
import type { ReferenceActivation } from '../reference/shared';
import { RecurrentCell, RecurrentCellConfig, checkBatchedInput, checkFunctionalWeights } from './recurrent_cell';
import { initBias, initKernel, initRecurrentKernel } from '../init';
import { simpleRNNEngine } from '../platform/webgpu/fused/engines';
import { BackwardRun, CellMath, ForwardRun, kerasParameters } from '../scan/contract';
import { DifferentiableOptions, differentiableScan } from '../scan/differentiable';
import type { FusedAct } from '../scan/ops';
import { withStepAutodiff } from '../scan/step_autodiff';
import { RNNTape } from '../scan/tape';
import { maskedPrevious, maskedRecurrent, recurrentThroughMask } from './dropout';

export type { Activation };
/** The tape of a SimpleRNN's forward (the one tape type all cells share). */
export { RNNTape as SimpleRNNTape };

interface SimpleForwardRun extends ForwardRun {
  U: tf.Tensor2D; // [H, H]
  b: tf.Tensor1D | null; // [H], added in the step (see prepareForward)
  act: FusedAct;
}

interface SimpleBackwardRun extends BackwardRun {
  Ut: tf.Tensor2D; // Uᵀ [H, H]
}

/**
 * The step math of a SimpleRNN with activation `activation`. With recurrent dropout (constant
 * `recurrent`, m [B, H]) the product is (h_{t-1} ⊙ m) · U, and dh_{t-1} = (da · Uᵀ) ⊙ m.
 */
export function simpleRNNMath(activation: Activation, useBias = true): CellMath {
  const math: CellMath<SimpleForwardRun, SimpleBackwardRun> = {
    name: 'SimpleRNN',
    gates: 1,
    stateNames: ['h'],
    savedNames: [],
    parameters: kerasParameters(1, useBias ? (_D, H) => [H] : null),
    prepareForward(w) {
      // The bias is added after x_t·W + h_{t−1}·U, in the textbook loop's order: a strongly driven
      // recurrence amplifies any difference in round-off, and this way a step rounds exactly as
      // tanh(x_t·W + h·U + b) does (P = X·W before the loop computes each row as x_t·W would).
      const b = (w.bias ?? null) as tf.Tensor1D | null;
      const U = w.recurrentKernel as tf.Tensor2D;
      return { projectionKernel: w.kernel as tf.Tensor2D, projectionBias: null, U, b, act: activation === 'relu' && b === null ? 'relu' : 'linear' };
    },
    forwardStep(run, p, [h], ops, constants) {
      let a = ops.matMulAdd(maskedPrevious(h, constants), run.U, p, run.act); // x_t·W + h_{t-1}·U (relu fused when there is no bias)  [B, H]
      if (run.b !== null) a = tf.add(a, run.b) as tf.Tensor2D; // a_t  [B, H]
      const fused = activation === 'linear' || (activation === 'relu' && run.b === null);
      const hNext = activation === 'tanh' ? tf.tanh(a) : fused ? a : activate(activation, a); // h_t
      return { states: [hNext as tf.Tensor2D], saved: [] };
    },
    prepareBackward(w, tape) {
      const h = tape.states[0];
      const deriv = activation === 'tanh' ? tf.sub(1, tf.square(h)) : activation === 'relu' ? tf.step(h) : derivativeFromOutput(activation, h); // act'(a_t)
      return { Ut: tf.transpose(w.recurrentKernel as tf.Tensor2D), coefficients: deriv === null ? [] : [deriv as tf.Tensor3D] };
    },
    backwardStep(run, coefficients, [dh], dSeqPrev, ops, wantPrevious, constants) {
      const da = coefficients.length === 0 ? dh : (tf.mul(dh, coefficients[0]) as tf.Tensor2D); // ∂L/∂a_t  [B, H]
      return { dProjection: da, dStatesPrevious: wantPrevious ? [recurrentThroughMask(ops, da, run.Ut, dSeqPrev, constants)] : [] }; // dh_{t-1}
    },
    recurrentOperands: maskedRecurrent,
    sequenceEngine: (context) => simpleRNNEngine(activation, context), // the fused WebGPU kernels, where they apply
  };
  return (stepNeedsAutodiff(activation) ? withStepAutodiff(math as unknown as CellMath) : math) as CellMath;
}

export interface SimpleRNNConfig extends RecurrentCellConfig {
  /** Default 'tanh'. */
  activation?: Activation;
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
  tape: RNNTape;
}

const SHAPE = {
  prefix: 'simple_rnn',
  init: {
    kernel: (D: number, H: number, seed: number) => initKernel(D, H, seed),
    recurrentKernel: (_D: number, H: number, seed: number) => initRecurrentKernel(H, seed),
    bias: (_D: number, H: number) => initBias(H),
  },
};

export class SimpleRNN extends RecurrentCell {
  readonly activation: Activation;

  /** b [H], or null when useBias is false. */
  override get bias(): tf.Variable<tf.Rank.R1> | null {
    return (this.variables.bias ?? null) as tf.Variable<tf.Rank.R1> | null;
  }

  constructor(config: SimpleRNNConfig) {
    if (config == null || typeof config !== 'object') {
      throw new Error(`expected a config { inputDim, units, ... }, got ${String(config)}`);
    }
    const activation = checkOneOf('activation', config.activation ?? 'tanh', ACTIVATIONS);
    super(config, SHAPE, simpleRNNMath(activation, checkBoolean('useBias', config.useBias, true)));
    this.activation = activation;
  }

  /**
   * Runs the recurrence. x [B, T, D] or [T, D]; h0 [B, H] or [H] (zeros when absent).
   * Returns sequence [B, T, H] (or [T, H]), last [B, H] (or [H]) and the tape for backward().
   * The caller disposes sequence, last and tape.
   */
  forward(x: tf.Tensor, h0?: tf.Tensor | null): SimpleRNNOutput {
    const { sequence, last, tape } = this.forwardStates(x, [h0]);
    return { sequence, last: last[0], tape };
  }

  /**
   * Manual BPTT: gradients of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last with respect to the
   * weights, the input and the initial state. Does not dispose the tape.
   */
  backward(tape: RNNTape, upstream: SimpleRNNUpstream, options: BackwardOptions = {}): SimpleRNNGrads {
    const g = this.backwardStates(tape, upstream, options);
    const out: SimpleRNNGrads = {
      kernel: g.params.kernel as tf.Tensor2D,
      recurrentKernel: g.params.recurrentKernel as tf.Tensor2D,
      bias: (g.params.bias ?? null) as tf.Tensor1D | null,
      input: g.input,
      initialState: g.initial[0],
    };
    if (g.state !== undefined) out.state = g.state;
    return out;
  }

  /**
   * The weight gradients alone: what a training step of a first layer needs. Skips ∂x and ∂h0
   * (one [B·T, H]·[H, D] matMul fewer), as tfjs autodiff skips gradients nobody asked for.
   */
  weightGradients(tape: RNNTape, upstream: SimpleRNNUpstream): SimpleRNNWeightGrads {
    const g = this.weightGradientsStates(tape, upstream);
    return { kernel: g.kernel as tf.Tensor2D, recurrentKernel: g.recurrentKernel as tf.Tensor2D, bias: (g.bias ?? null) as tf.Tensor1D | null };
  }

  /**
   * Differentiable application (tf.customGrad; gradient = manual BPTT) for use inside
   * tf.variableGrads / optimizer.minimize. x [B, T, D]; returns [B, T, H] or [B, H].
   */
  apply(x: tf.Tensor3D, h0: tf.Tensor2D | null = null, options: Pick<DifferentiableOptions, 'returnSequences'> = {}): tf.Tensor {
    return this.applyStates(x, [h0], options, ['returnSequences'])[0];
  }
}

// ---------------------------------------------------------------------------------------------
// Functional entry points: the weights as tensors rather than a cell.

function functionalSimpleRNN(
  returnSequences: boolean,
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  h0: tf.Tensor2D | null,
  activation: Activation,
): tf.Tensor {
  const act = checkOneOf('activation', activation, ACTIVATIONS);
  const { D, H } = checkFunctionalWeights(1, kernel, recurrentKernel, bias, (n) => [n]);
  checkBatchedInput(x, D, H, [['initial state', h0]]);
  const cell = simpleRNNMath(act, bias != null);
  const params: Record<string, tf.Tensor> = bias == null ? { kernel, recurrentKernel } : { kernel, recurrentKernel, bias };
  return differentiableScan(cell, x, params, [h0 ?? null], H, { returnSequences })[0];
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
  return functionalSimpleRNN(true, x, kernel, recurrentKernel, bias, h0, activation) as tf.Tensor3D;
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
  return functionalSimpleRNN(false, x, kernel, recurrentKernel, bias, h0, activation) as tf.Tensor2D;
}

/** SimpleRNN in the registry (src/cells/registry.ts). */
export const SIMPLE_RNN_CELL: CellDescriptor = {
  id: 'simple',
  label: 'SimpleRNN',
  kerasClass: 'SimpleRNN',
  layerPrefix: 'simple_rnn',
  gates: 1,
  stateNames: ['h'],
  gated: false,
  math: (o) => simpleRNNMath(o.activation, o.useBias),
  make: (config, o) => new SimpleRNN({ ...config, activation: o.activation, useBias: o.useBias }),
  biasShape: (H) => [H],
  layerOptions: (o) => ({ activation: o.activation, useBias: o.useBias }),
  stockRuns: () => true,
  stockLayer: (args, o) => tf.layers.simpleRNN({ ...args, activation: o.activation, useBias: o.useBias } as Parameters<typeof tf.layers.simpleRNN>[0]),
  autodiff: (x, w, [h0], o) => {
    const r = autodiffSimpleRNN(x, w[0] as tf.Tensor2D, w[1] as tf.Tensor2D, (w[2] ?? null) as tf.Tensor1D | null, h0, o.activation);
    return { sequence: r.sequence, last: [r.last] };
  },
  reference: (x, shape, w, [h0], up, o) => {
    const act = o.activation as ReferenceActivation;
    const f = referenceForward(x, shape, w, h0, act);
    const g = referenceBackward(x, shape, w, h0, act, { dSequence: up.dSequence, dLast: up.dLast[0] });
    return { sequence: f.sequence, last: [f.last], grads: { ...g, initial: [g.initialState] } };
  },
};
