/**
 * A cell's backward by tfjs autodiff of its own forward step, one step at a time, inside our driver:
 * for cells that give only a forward step (user cells) and for built-in cells whose activation has
 * no per-step factor to precompute (softmax, or an activation whose derivative needs its input).
 * The loop, masks, goBackwards, dropout constants and the input projection's Xᵀ·dP stay the
 * driver's; each other parameter's gradient is Σ_t of the step's own ({ perStep: true }).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackwardRun, BulkTape, CellMath, Constants, ForwardRun, Params } from './contract';
import type { StepOps } from './ops';

/**
 * tf.grads run inside another gradient's backward pass (our customGrad's): tfjs's engine would
 * start the inner tape in place of the outer one and, at the inner's end, clear the outer tape it
 * still has to clean up. The outer tape and depth are put back after the inner call.
 */
export function nestedGrads<T>(run: () => T): T {
  const state = (tf.engine() as unknown as { state: { activeTape: unknown; gradientDepth: number } }).state;
  const [tape, depth] = [state.activeTape, state.gradientDepth];
  try {
    return run();
  } finally {
    state.activeTape = tape;
    state.gradientDepth = depth;
  }
}

/**
 * ∂L/∂(inputs) of f(inputs) → states, for L = Σ_k states_k ⊙ dStates_k: the vector-Jacobian
 * product of one step.
 */
export function stepVJP(f: (inputs: tf.Tensor[]) => tf.Tensor[], inputs: tf.Tensor[], dStates: tf.Tensor[]): tf.Tensor[] {
  const vjp = tf.grads((...args: tf.Tensor[]) => tf.addN(f(args).map((s, k) => tf.sum(tf.mul(s, dStates[k])))) as tf.Scalar);
  return nestedGrads(() => vjp(inputs));
}

/**
 * What a step's backward recomputes from: P_t again for every step (the tape keeps x, not P; one
 * matMul, as in the forward) and states_{t−1} per state, [·, ·, ·] each.
 */
export function stepInputs(math: CellMath, params: Params, tape: BulkTape): tf.Tensor3D[] {
  const projection = math.parameters.find((p) => 'product' in p.finish && p.finish.product === 'input');
  const x = tape.x; // [·, ·, D]
  const [R0, R1, D] = x.shape;
  const W = projection === undefined ? null : (params[projection.name] as tf.Tensor2D);
  const P = W === null ? x : (tf.reshape(tf.matMul(tf.reshape(x, [R0 * R1, D]), W), [R0, R1, W.shape[1]]) as tf.Tensor3D);
  return [P, ...math.stateNames.map((_, k) => tape.previous(k))];
}

interface WrappedForwardRun extends ForwardRun {
  inner: ForwardRun;
}

interface WrappedBackwardRun extends BackwardRun {
  params: Params;
  /** The parameters differentiated per step (all but the projection's matrix), chosen once. */
  names: string[];
}

/** The cell with its backward by autodiff of its forward step. */
export function withStepAutodiff(math: CellMath): CellMath {
  const isProjection = (p: CellMath['parameters'][number]) => 'product' in p.finish && p.finish.product === 'input';
  const S = math.stateNames.length;
  /** One forward step from the parameters themselves (so that autodiff reaches them). */
  const step = (params: Params, p: tf.Tensor2D, previous: tf.Tensor2D[], ops: StepOps, constants: Constants): tf.Tensor2D[] => {
    const inner = math.prepareForward(params, ops, constants);
    const p2 = inner.projectionBias === null ? p : (tf.add(p, inner.projectionBias) as tf.Tensor2D); // a bias of P: in the step here
    return math.forwardStep(inner, p2, previous, ops, constants).states;
  };
  const wrapped: CellMath<WrappedForwardRun, WrappedBackwardRun> = {
    name: math.name,
    gates: math.gates,
    stateNames: math.stateNames,
    savedNames: [],
    parameters: math.parameters.map((p) => (isProjection(p) ? p : { ...p, finish: { perStep: true } })),
    prepareForward(params, ops, constants) {
      const inner = math.prepareForward(params, ops, constants);
      return { projectionKernel: inner.projectionKernel, projectionBias: null, inner };
    },
    forwardStep(run, p, previous, ops, constants) {
      const p2 = run.inner.projectionBias === null ? p : (tf.add(p, run.inner.projectionBias) as tf.Tensor2D);
      return { states: math.forwardStep(run.inner, p2, previous, ops, constants).states, saved: [] };
    },
    prepareBackward(params, tape) {
      const names = math.parameters.filter((q) => !isProjection(q) && q.name in params).map((q) => q.name);
      return { params, names, coefficients: stepInputs(math, params, tape) };
    },
    backwardStep(run, [p, ...previous], dStates, dSeqPrev, ops, wantPrevious, constants) {
      const names = run.names;
      const f = (args: tf.Tensor[]) => {
        const ps: Record<string, tf.Tensor> = { ...run.params };
        names.forEach((n, i) => (ps[n] = args[1 + S + i]));
        return step(ps, args[0] as tf.Tensor2D, args.slice(1, 1 + S) as tf.Tensor2D[], ops, constants);
      };
      const g = stepVJP(f, [p, ...previous, ...names.map((n) => run.params[n])], dStates);
      const stepGradients: Record<string, tf.Tensor> = {};
      names.forEach((n, i) => (stepGradients[n] = g[1 + S + i]));
      const dPrevious = !wantPrevious ? [] : (g.slice(1, 1 + S) as tf.Tensor2D[]).map((d, k) => (k === 0 && dSeqPrev !== null ? (tf.add(d, dSeqPrev) as tf.Tensor2D) : d));
      return { dProjection: g[0] as tf.Tensor2D, dStatesPrevious: dPrevious, stepGradients };
    },
  };
  return wrapped as unknown as CellMath;
}
