/**
 * The contract between the time-step driver (scan.ts) and a cell. A cell is its step math only: the
 * driver owns everything around it — the input projection before the loop, the forward and BPTT
 * loops, the per-backend arrangement of time steps, and the parameter-gradient finish after the loop.
 * Cells import this file; the driver never imports a cell.
 *
 * Shapes: B batch, T time steps, D input features, H units, G gates (SimpleRNN 1, GRU 3, LSTM 4).
 *
 * A cell declares its parameters by name (Keras's kernel W [D, G·H], recurrentKernel U [H, G·H] and
 * bias, or anything else: a peephole vector, IndRNN's u [H]), each with how its gradient is finished
 * over all T·B rows after the BPTT loop:
 *   { product: 'input' }       ∂ = Xᵀ · dP            the matrix of the projection P = X · W
 *   { product: 'recurrent' }   ∂ = Σ_k operand_kᵀ · dR_k  (columns of U; operand h_{t−1} by default)
 *   { sum: [streams] }         ∂ = Σ_rows of each named per-step stream, stacked when several:
 *                              'projection' (dP), 'recurrent' (dR), or one of the cell's own streams
 *   { perStep: true }          ∂ = Σ_t of the gradient the step itself gives (stepGradients): for
 *                              cells whose step is differentiated as a whole (user cells)
 *
 * Forward, per step:   states_t, saved_t = forwardStep(run, P_t, states_{t−1}, constants)
 * Backward, per step (t = T−1 .. 0), from dStates_t = ∂L/∂states_t (dSequence_t included):
 *   dP_t, dR_t, streams_t, dStates_{t−1} = backwardStep(run, coefficients_t, dStates_t, constants)
 *   ∂x = dP · Wᵀ (⊙ the input mask)    ∂states_0 = dStates_0
 *
 * Constants are per-sequence tensors fixed across time steps (dropout masks [B, D] and [B, H]); the
 * driver passes them to every step, forward and backward, and keeps them on the tape. An input mask
 * (`constants.input`, [B, D]) is applied by the driver itself: P = (X ⊙ m) · W.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layout } from './arrangements';
import type { StepOps } from './ops';

/** How the driver forms a parameter's gradient after the BPTT loop. */
export type GradientFinish = { product: 'input' } | { product: 'recurrent' } | { sum: readonly string[] } | { perStep: true };

/** One parameter a cell declares. */
export interface ParameterSpec {
  /** Its name in the cell's params (camelCase, e.g. 'recurrentKernel'). */
  name: string;
  /** Its variable name in Keras's files (snake_case, e.g. 'recurrent_kernel'). */
  kerasName: string;
  /** Its shape for D input features and H units. */
  shape(D: number, H: number): number[];
  finish: GradientFinish;
}

/** Parameters by name, as the cell declared them. */
export type Params = Readonly<Record<string, tf.Tensor>>;

/** Per-sequence constants by name (see the file's doc): 'input' [B, D], a cell's own (e.g. 'recurrent' [B, H]). */
export type Constants = Readonly<Record<string, tf.Tensor2D>>;

/** The weights of one forward call, in the form the cell's step runs them (scaled, split, …). */
export interface ForwardRun {
  /** P = X · projectionKernel (+ projectionBias) before the loop; null: P = X. */
  projectionKernel: tf.Tensor2D | null; // [D, G·H]
  projectionBias: tf.Tensor1D | null; // [G·H]
}

export interface StepResult {
  /** states_t, in the order of CellMath.stateNames; states[0] is h_t, the output. */
  states: tf.Tensor2D[];
  /** The per-step tensors the backward needs besides the states, in the order of savedNames. */
  saved: tf.Tensor2D[];
}

/**
 * All time steps of a forward pass, as the driver hands them to prepareBackward: [·, ·, K] tensors
 * in the arrangement's layout (rows b, t in either order; elementwise math does not care).
 */
export interface BulkTape {
  layout: Layout;
  x: tf.Tensor3D; // [·, ·, D] (with the input mask applied, when there is one)
  /** states_0 (h0, c0), [B, H] each. */
  initial: tf.Tensor2D[];
  /** states_1..T per state, [·, ·, H] each. */
  states: tf.Tensor3D[];
  /** saved_1..T per saved name. */
  saved: tf.Tensor3D[];
  /** states_0..T−1 of state k (computed on first use, owned by the caller's tidy). */
  previous(k: number): tf.Tensor3D;
  /** a ⊙ c for every step: a [·, ·, K] in this layout, c [B, K] a per-sequence constant (broadcast, no copy over time). */
  timesPerStep(a: tf.Tensor3D, c: tf.Tensor2D): tf.Tensor3D;
}

export interface BackwardRun {
  /** Per-step coefficient tensors computed in bulk before the loop; cut into steps by the driver. */
  coefficients: tf.Tensor3D[];
}

export interface BackwardStepResult {
  /** ∂L/∂P_t, [B, G·H]. */
  dProjection: tf.Tensor2D;
  /** ∂L/∂R_t per recurrent operand; absent when the only operand is h_{t−1} and dR_t = dP_t. */
  dRecurrent?: tf.Tensor2D[];
  /** The cell's own per-step streams, in the order of CellMath.streamNames, [B, K] each. */
  streams?: tf.Tensor2D[];
  /** This step's whole gradient of each { perStep: true } parameter, by name (summed over t by the driver). */
  stepGradients?: Record<string, tf.Tensor>;
  /** ∂L/∂states_{t−1}, with dSequence_{t−1} (when given) already added to ∂h_{t−1}. */
  dStatesPrevious: tf.Tensor2D[];
}


/**
 * What a cell's sequenceEngine hook is told about one differentiable call, to say whether it can run
 * it whole (a backend's fused kernels) or leave it to the driver's step loop.
 */
export interface SequenceContext {
  /** tf.getBackend() at the call. */
  backend: string;
  /** The per-sequence constants present (e.g. 'input', 'recurrent' dropout masks). */
  constantNames: readonly string[];
  /** Whether a mask [B, T] is given. */
  masked: boolean;
}

/** A whole forward: the sequence, the final states and the flat tape its backward reads. */
export interface SequenceForward {
  sequence: tf.Tensor3D; // [B, T, H]
  /** states_T, [B, H] each (h_T first). */
  last: tf.Tensor2D[];
  /** What the backward needs, as one flat list (what tf.customGrad's save() takes). */
  saved: tf.Tensor[];
}

/** What one backward is asked for: ∂x, ∂states_0 (the parameters' gradients always). */
export interface SequenceWants {
  input: boolean;
  initial: boolean;
}

/** A whole sequence's forward and BPTT run in one piece (see CellMath.sequenceEngine). */
export interface SequenceEngine {
  /** Names this engine in profiles and messages ('scan', 'webgpu-fused'). */
  readonly name: string;
  /** x [B, T, D]; params by name; initial states [B, H] each; mask [B, T] of 0/1 or null. */
  forward(x: tf.Tensor3D, params: Params, initial: tf.Tensor2D[], mask: tf.Tensor2D | null): SequenceForward;
  /** From forward's saved list: every parameter's gradient by name, ∂x and ∂states_0 when wanted. */
  backward(saved: readonly tf.Tensor[], upstream: SequenceUpstream, wants: SequenceWants): SequenceGradients;
}

/** The upstream gradients of a sequence: dSequence and dLast may not all be null. */
export interface SequenceUpstream {
  /** ∂L/∂sequence [B, T, H], or null. */
  dSequence: tf.Tensor3D | null;
  /** ∂L/∂states_T per state ([B, H] or null each). */
  dLast: Array<tf.Tensor2D | null>;
}

export interface SequenceGradients {
  params: Record<string, tf.Tensor>;
  x?: tf.Tensor3D; // [B, T, D]
  initial?: tf.Tensor2D[]; // [B, H] per state
}

/** A cell's math: what the driver calls. R: its forward run, K: its backward run. */
export interface CellMath<R extends ForwardRun = ForwardRun, K extends BackwardRun = BackwardRun> {
  /** Layer name in Keras/tfjs ('SimpleRNN', 'LSTM', 'GRU', or a user cell's). */
  readonly name: string;
  readonly gates: number;
  /** ['h'] or ['h', 'c']. */
  readonly stateNames: readonly string[];
  readonly savedNames: readonly string[];
  /** The parameters, in the order of getWeights(). At most one has finish { product: 'input' }. */
  readonly parameters: readonly ParameterSpec[];
  /** Names of the cell's own per-step gradient streams (summed by { sum: [name] } parameters). */
  readonly streamNames?: readonly string[];
  prepareForward(params: Params, ops: StepOps, constants: Constants): R;
  forwardStep(run: R, p: tf.Tensor2D, previous: tf.Tensor2D[], ops: StepOps, constants: Constants): StepResult;
  prepareBackward(params: Params, tape: BulkTape, ops: StepOps, constants: Constants): K;
  backwardStep(
    run: K,
    coefficients: tf.Tensor2D[],
    dStates: tf.Tensor2D[],
    dSequencePrevious: tf.Tensor2D | null,
    ops: StepOps,
    /** False at t = 1 when ∂states_0 is not wanted: the cell may return no dStatesPrevious. */
    wantPrevious: boolean,
    constants: Constants,
  ): BackwardStepResult;
  /**
   * The operands of the recurrent products R_k = operand_k · U[:, columns of k], one per dR stream,
   * [·, ·, H] each (default: h_{t−1} for every column).
   */
  recurrentOperands?(tape: BulkTape, constants: Constants): tf.Tensor3D[];
  /**
   * An engine that runs this call's whole sequence at once (a backend's fused kernels), or null:
   * the driver's step loop runs it. Only differentiableScan asks; the engine must compute what the
   * step loop computes (same outputs and gradients, to float32 round-off).
   */
  sequenceEngine?(context: SequenceContext): SequenceEngine | null;
}

/** Keras's three parameters, as most cells declare them. `bias` null: no bias (useBias false). */
export function kerasParameters(gates: number, bias: ParameterSpec['shape'] | null, biasFinish: readonly string[] = ['projection']): ParameterSpec[] {
  const specs: ParameterSpec[] = [
    { name: 'kernel', kerasName: 'kernel', shape: (D, H) => [D, gates * H], finish: { product: 'input' } },
    { name: 'recurrentKernel', kerasName: 'recurrent_kernel', shape: (_D, H) => [H, gates * H], finish: { product: 'recurrent' } },
  ];
  if (bias !== null) specs.push({ name: 'bias', kerasName: 'bias', shape: bias, finish: { sum: biasFinish } });
  return specs;
}

/**
 * The parameter whose gradient is Xᵀ · dP (the projection's matrix), or null: a cell without one
 * gets P_t = x_t (and ∂x = dP).
 */
export function projectionParameter(math: CellMath): ParameterSpec | null {
  const p = math.parameters.filter((s) => 'product' in s.finish && s.finish.product === 'input');
  if (p.length > 1) throw new Error(`expected ${math.name} to declare at most one parameter with finish { product: 'input' }, got ${p.length}`);
  return p[0] ?? null;
}
