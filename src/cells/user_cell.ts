/**
 * User-defined cells: a cell written against the public contract as its step, run by our driver.
 *
 *   p_t = x_t · W           before the loop, for all steps at once, when the cell declares a
 *                           parameter with finish { product: 'input' } (W); else p_t = x_t
 *   states_t = step(p_t, states_{t−1}, params, constants)        states[0] is the output h_t
 *
 * Its backward per step: the cell's own `backward` when it gives one (fully manual BPTT), else tfjs
 * autodiff of that one step (a vector-Jacobian product per step, inside our driver: the loop, the
 * masks, goBackwards and the input projection's Xᵀ·dP stay ours). Every parameter but W gets its
 * gradient as Σ_t of the step's own ({ perStep: true }).
 *
 * Example (IndRNN, h_t = relu(x_t·W + u ⊙ h_{t−1} + b)): examples/custom_cell.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackwardRun, CellMath, Constants, ForwardRun, GradientFinish, Params } from '../scan/contract';
import { stepInputs, withStepAutodiff } from '../scan/step_autodiff';

/** A tf.layers initializer instance (tf.initializers.glorotUniform({ seed }), …). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** One parameter of a user cell. */
export interface CellParameter {
  /** Its name: a field of `params` in the step, and the variable `<layer>/<name>`. */
  name: string;
  /** Its shape for D input features and H units. */
  shape(D: number, H: number): number[];
  /** A tf.layers initializer (name such as 'glorotUniform', or an instance). Default 'glorotUniform' for matrices, 'zeros' otherwise. */
  initializer?: string | Initializer;
  /** { product: 'input' } for the matrix of the input projection p_t = x_t · W; omit for the rest. */
  finish?: Extract<GradientFinish, { product: 'input' }>;
}

/** What a manual backward gets for one step. */
export interface StepBackwardArgs {
  p: tf.Tensor2D; // p_t  [B, G·H] (or x_t [B, D])
  previous: tf.Tensor2D[]; // states_{t−1}
  params: Params;
  constants: Constants;
  /** ∂L/∂states_t (the mask already applied). */
  dStates: tf.Tensor2D[];
}

/** What a manual backward returns for one step. */
export interface StepBackwardResult {
  dP: tf.Tensor2D; // ∂L/∂p_t
  dPrevious: tf.Tensor2D[]; // ∂L/∂states_{t−1} (through this step only)
  /** ∂L/∂ of each parameter but W, through this step only (summed over the batch). */
  dParams: Record<string, tf.Tensor>;
}

/** A user-defined cell. */
export interface CellDefinition {
  /** Its name, for messages and for serialization (registerCell). */
  name: string;
  /** The states it carries, states[0] being the output. Default ['h']. */
  stateNames?: readonly string[];
  parameters: readonly CellParameter[];
  /** One time step: p_t [B, ·], states_{t−1} [B, H] each → states_t [B, H] each. Runs inside a tidy. */
  step(p: tf.Tensor2D, previous: tf.Tensor2D[], params: Params, constants: Constants): tf.Tensor2D[];
  /** One step's backward, by hand. Absent: tfjs autodiff of `step`. */
  backward?(args: StepBackwardArgs): StepBackwardResult;
}

interface UserForwardRun extends ForwardRun {
  params: Params;
}

interface UserBackwardRun extends BackwardRun {
  params: Params;
}

/** The driver's math of a user cell. */
export function userCellMath(def: CellDefinition): CellMath {
  const stateNames = def.stateNames ?? ['h'];
  const projection = def.parameters.find((p) => p.finish?.product === 'input');
  const math: CellMath<UserForwardRun, UserBackwardRun> = {
    name: def.name,
    gates: 1,
    stateNames,
    savedNames: [],
    parameters: def.parameters.map((p) => ({ name: p.name, kerasName: p.name, shape: p.shape, finish: p === projection ? { product: 'input' } : { perStep: true } })),
    prepareForward: (params) => ({ projectionKernel: projection === undefined ? null : (params[projection.name] as tf.Tensor2D), projectionBias: null, params }),
    forwardStep(run, p, previous, _ops, constants) {
      const next = def.step(p, previous, run.params, constants);
      if (!Array.isArray(next) || next.length !== stateNames.length || next.some((s) => !(s instanceof tf.Tensor) || s.rank !== 2)) {
        throw new Error(`expected ${def.name}.step to return ${stateNames.length} state tensor(s) [batch, units], got ${Array.isArray(next) ? `${next.length} value(s)` : typeof next}`);
      }
      return { states: next, saved: [] };
    },
    prepareBackward: (params, tape) => ({ params, coefficients: stepInputs(math, params, tape) }),
    backwardStep(run, [p, ...previous], dStates, dSeqPrev, _ops, wantPrevious, constants) {
      const r = (def.backward as NonNullable<CellDefinition['backward']>)({ p, previous, params: run.params, constants, dStates });
      const dPrevious = !wantPrevious ? [] : r.dPrevious.map((d, k) => (k === 0 && dSeqPrev !== null ? (tf.add(d, dSeqPrev) as tf.Tensor2D) : d));
      return { dProjection: r.dP, dStatesPrevious: dPrevious, stepGradients: r.dParams };
    },
  };
  return def.backward === undefined ? withStepAutodiff(math as unknown as CellMath) : (math as unknown as CellMath);
}
