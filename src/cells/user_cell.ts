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

/**
 * tf.grads run inside another gradient's backward pass (our customGrad's): tfjs's engine would
 * start the inner tape in place of the outer one and, at the inner's end, clear the outer tape it
 * still has to clean up. The outer tape and depth are put back after the inner call.
 */
function nestedGrads<T>(run: () => T): T {
  const state = (tf.engine() as unknown as { state: { activeTape: unknown; gradientDepth: number } }).state;
  const [tape, depth] = [state.activeTape, state.gradientDepth];
  try {
    return run();
  } finally {
    state.activeTape = tape;
    state.gradientDepth = depth;
  }
}

/** ∂L/∂(p, previous, params) of one step by tfjs autodiff: the VJP of step with dStates. */
function autodiffStep(def: CellDefinition, names: readonly string[], a: StepBackwardArgs): StepBackwardResult {
  const S = a.previous.length;
  const vjp = tf.grads((...args: tf.Tensor[]) => {
    const ps: Record<string, tf.Tensor> = { ...a.params };
    names.forEach((n, i) => (ps[n] = args[1 + S + i]));
    const next = def.step(args[0] as tf.Tensor2D, args.slice(1, 1 + S) as tf.Tensor2D[], ps, a.constants);
    return tf.addN(next.map((s, k) => tf.sum(tf.mul(s, a.dStates[k])))) as tf.Scalar;
  });
  const g = nestedGrads(() => vjp([a.p, ...a.previous, ...names.map((n) => a.params[n])]));
  const dParams: Record<string, tf.Tensor> = {};
  names.forEach((n, i) => (dParams[n] = g[1 + S + i]));
  return { dP: g[0] as tf.Tensor2D, dPrevious: g.slice(1, 1 + S) as tf.Tensor2D[], dParams };
}

/** The driver's math of a user cell. */
export function userCellMath(def: CellDefinition): CellMath<UserForwardRun, UserBackwardRun> {
  const stateNames = def.stateNames ?? ['h'];
  const projection = def.parameters.find((p) => p.finish?.product === 'input');
  const stepped = def.parameters.filter((p) => p !== projection).map((p) => p.name); // gradients per step
  return {
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
    prepareBackward(params, tape) {
      // p_t again for every step (the tape keeps x, not P): one matMul, as in the forward.
      const x = tape.x; // [·, ·, D]
      const [R0, R1, D] = x.shape;
      const W = projection === undefined ? null : (params[projection.name] as tf.Tensor2D);
      const P = W === null ? x : (tf.reshape(tf.matMul(tf.reshape(x, [R0 * R1, D]), W), [R0, R1, W.shape[1]]) as tf.Tensor3D);
      return { params, coefficients: [P, ...stateNames.map((_, k) => tape.previous(k))] };
    },
    backwardStep(run, [p, ...previous], dStates, dSeqPrev, _ops, wantPrevious, constants) {
      const args = { p, previous, params: run.params, constants, dStates };
      const r = def.backward !== undefined ? def.backward(args) : autodiffStep(def, stepped, args);
      const dPrevious = !wantPrevious ? [] : r.dPrevious.map((d, k) => (k === 0 && dSeqPrev !== null ? (tf.add(d, dSeqPrev) as tf.Tensor2D) : d));
      return { dProjection: r.dP, dStatesPrevious: dPrevious, stepGradients: r.dParams };
    },
  };
}
