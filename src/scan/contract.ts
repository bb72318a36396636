/**
 * The contract every hand-written cell meets, and the one tape type. A cell is its step math only:
 * the time-step driver (src/scan/scan.ts) owns everything around it — the input projection before
 * the loop, the forward and BPTT loops, the per-backend arrangement of time steps, and the
 * weight-gradient finish after the loop.
 *
 * Shapes: B batch, T time steps, D input features, H units, G gates (SimpleRNN 1, GRU 3, LSTM 4).
 * Every cell has Keras's three weights:
 *   kernel           W [D, G·H]      the input projection P = X · W (+ b), for all T·B rows at once
 *   recurrentKernel  U [H, G·H]      multiplies the previous state inside the loop
 *   bias               [G·H] or [2, G·H] (GRU with resetAfter: input and recurrent rows) or none
 *
 * Forward, per step:   states_t, saved_t = forwardStep(P_t, states_{t−1})
 * Backward, per step (t = T−1 .. 0), from dStates_t = ∂L/∂states_t (dSequence_t included):
 *   dP_t, dR_t, dStates_{t−1} = backwardStep(coefficients_t, dStates_t)
 * where R_t are the recurrent products (operand_k · U[:, columns_k]); then, over all T·B rows,
 *   ∂W = Xᵀ · dP    ∂b = Σ_rows dP    ∂U[:, columns_k] = operand_kᵀ · dR_k    ∂b_rec = Σ_rows dR
 * A bias added to P — in the projection, or in the step after x·W + h·U as the textbook loop rounds
 * — has the gradient Σ dP either way.
 *   ∂x = dP · Wᵀ    ∂states_0 = dStates_0
 */
import * as tf from '@tensorflow/tfjs';
import type { Layout } from '../scan/arrangements';
import type { StepOps } from '../scan/ops';

/** The weights as the user holds them (Keras layout). */
export interface CellWeights {
  kernel: tf.Tensor2D; // [D, G·H]
  recurrentKernel: tf.Tensor2D; // [H, G·H]
  bias: tf.Tensor | null; // [G·H] or [2, G·H]
}

/** The weights of one forward call, in the form the cell's step runs them (scaled, split, …). */
export interface ForwardRun {
  /** P = X · projectionKernel (+ projectionBias) before the loop. */
  projectionKernel: tf.Tensor2D; // [D, G·H]
  projectionBias: tf.Tensor1D | null; // [G·H]
}

export interface StepResult {
  /** states_t, in the order of CellMath.stateNames; states[0] is h_t, the output. */
  states: tf.Tensor2D[];
  /** The per-step tensors the backward needs besides the states, in the order of savedNames. */
  saved: tf.Tensor2D[];
}

/**
 * All time steps of a forward pass, as the driver keeps them for the backward: [·, ·, K] tensors
 * in the arrangement's layout (rows b, t in either order; elementwise math does not care).
 */
export interface BulkTape {
  layout: Layout;
  x: tf.Tensor3D; // [·, ·, D]
  /** states_0 (h0, c0), [B, H] each. */
  initial: tf.Tensor2D[];
  /** states_1..T per state, [·, ·, H] each. */
  states: tf.Tensor3D[];
  /** saved_1..T per saved name. */
  saved: tf.Tensor3D[];
  /** states_0..T−1 of state k (computed on first use, owned by the caller's tidy). */
  previous(k: number): tf.Tensor3D;
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
  /** ∂L/∂states_{t−1}, with dSequence_{t−1} (when given) already added to ∂h_{t−1}. */
  dStatesPrevious: tf.Tensor2D[];
}

/** One recurrent product R_k = operand_k · U[:, columns]. */
export interface RecurrentOperand {
  operand: tf.Tensor3D; // [·, ·, H]
  columns: [number, number];
}

/** The sums the driver forms after the BPTT loop, from which a cell writes its weight gradients. */
export interface GradientSums {
  kernel: tf.Tensor2D; // ∂W [D, G·H]
  recurrentKernel: tf.Tensor2D; // ∂U [H, G·H]
  /** Σ dP [G·H]: the gradient of a bias added to P (in the projection or in the step). */
  projectionBias: tf.Tensor1D;
  /** Σ dR [G·H], when the cell has a recurrent bias. */
  recurrentBias: tf.Tensor1D | null;
}

/** A cell's math: what the driver calls. R: its forward run, K: its backward run. */
export interface CellMath<R extends ForwardRun = ForwardRun, K extends BackwardRun = BackwardRun> {
  /** Layer name in Keras/tfjs ('SimpleRNN', 'LSTM', 'GRU'). */
  readonly name: string;
  readonly gates: number;
  /** ['h'] or ['h', 'c']. */
  readonly stateNames: readonly string[];
  readonly savedNames: readonly string[];
  /** Whether the recurrent products carry a bias of their own (GRU with resetAfter). */
  readonly recurrentBias: boolean;
  prepareForward(w: CellWeights, ops: StepOps): R;
  forwardStep(run: R, p: tf.Tensor2D, previous: tf.Tensor2D[], ops: StepOps): StepResult;
  prepareBackward(w: CellWeights, tape: BulkTape, ops: StepOps): K;
  backwardStep(
    run: K,
    coefficients: tf.Tensor2D[],
    dStates: tf.Tensor2D[],
    dSequencePrevious: tf.Tensor2D | null,
    ops: StepOps,
    /** False at t = 1 when ∂states_0 is not wanted: the cell may return no dStatesPrevious. */
    wantPrevious: boolean,
  ): BackwardStepResult;
  /** The operands of the recurrent products (default: h_{t−1} for every column). */
  recurrentOperands?(tape: BulkTape): RecurrentOperand[];
  /** The bias gradient in the cell's layout, from the driver's sums (null when there is no bias). */
  biasGradient(sums: GradientSums, hasBias: boolean): tf.Tensor | null;
}
