/**
 * One differentiable entry point for any cell: a tf.customGrad whose gradient IS the manual BPTT of
 * the time-step driver, for tf.grad, tf.variableGrads, optimizer.minimize and model.fit. Which
 * engine runs the sequence is sequence.ts's choice: the cell's own whole-sequence engine where it
 * has one for the call (the built-in cells' fused WebGPU kernels), else the driver's step loop; the
 * engine's tape goes through save() as one flat list either way.
 *
 * The customGrad's inputs are named, not positional: x, then the cell's declared parameters in
 * their order, then the initial states given. Per-sequence constants and the mask are not
 * differentiated (they are closed over and kept on the tape).
 *
 * customGrad returns one tensor, so when more than one output is wanted (returnState) they come out
 * packed along time as [B, T + S, H]: rows 0..T−1 the sequence (absent without returnSequences),
 * then the S final states (h_T, and c_T for an LSTM); `unpack` cuts them apart, and tfjs's own
 * gradient of that slicing routes the upstream gradients back into our backward.
 */
import * as tf from '@tensorflow/tfjs';
import type { CellMath, Constants, Params, SequenceEngine } from './contract';
import { scanOutputs } from './scan';
import { SCAN_ENGINE, backwardThroughTime, engineFor } from './sequence';

export interface DifferentiableOptions {
  /** The whole sequence [B, T, H] rather than the last output [B, H]. Default false. */
  returnSequences?: boolean;
  /** Also the final states [B, H] each (h_T, c_T): outputs [output, ...states]. Default false. */
  returnState?: boolean;
  /**
   * Whether ∂x is needed. When false the gradient returned for x is zeros (one Fill, no matMul):
   * for a first layer, whose input is data, tfjs asks customGrad for it and then drops it.
   */
  inputGradient?: boolean;
  /** [B, T]: 1 where a step is taken, 0 where it is skipped (states carried through, as tf.layers). */
  mask?: tf.Tensor2D | null;
}

/** Named tensors in a fixed order, and back. */
interface Inputs {
  list: tf.Tensor[];
  names: string[];
}

/**
 * x [B, T, D]; params by name as the cell declares them; initial states [B, H] each, or null for
 * zeros (which then get no gradient); per-sequence constants. Returns [output] or
 * [output, ...finalStates].
 */
export function differentiableScan(
  cell: CellMath,
  x: tf.Tensor3D,
  params: Params,
  initial: Array<tf.Tensor2D | null>,
  /** H: the size of each state. */
  H: number,
  options: DifferentiableOptions = {},
  constants: Constants = {},
): tf.Tensor[] {
  const returnSequences = options.returnSequences === true;
  const returnState = options.returnState === true;
  const inputGradient = options.inputGradient ?? true;
  const mask = options.mask ?? null;
  const S = cell.stateNames.length;
  const [B, T] = x.shape;
  const inputs: Inputs = { list: [x], names: ['x'] };
  for (const p of cell.parameters) {
    if (!(p.name in params)) continue;
    inputs.list.push(params[p.name]);
    inputs.names.push(`param:${p.name}`);
  }
  initial.forEach((s, k) => {
    if (s === null) return;
    inputs.list.push(s);
    inputs.names.push(`initial:${k}`);
  });
  const packed = returnState; // one output otherwise
  const engine = engineFor(cell, mask !== null, constants); // the cell's fused kernels, or the step loop (sequence.ts)
  if (!recording()) return inference(cell, engine, x, params, initial, H, mask, constants, returnSequences, returnState);
  const saved = { list: [] as tf.Tensor[] };

  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const byName = new Map(inputs.names.map((n, i) => [n, args[i] as tf.Tensor]));
    const ps: Record<string, tf.Tensor> = {};
    for (const p of cell.parameters) if (byName.has(`param:${p.name}`)) ps[p.name] = byName.get(`param:${p.name}`) as tf.Tensor;
    const init = initial.map((s, k) => (s === null ? (tf.zeros([B, H]) as tf.Tensor2D) : (byName.get(`initial:${k}`) as tf.Tensor2D)));
    const r = engine.forward(byName.get('x') as tf.Tensor3D, ps, init, mask);
    saved.list = r.saved;
    save(saved.list);
    let value: tf.Tensor;
    if (!packed) {
      value = returnSequences ? r.sequence : r.last[0];
    } else {
      const finals = r.last.map((s) => tf.expandDims(s, 1)); // [B, 1, H] each
      value = tf.concat(returnSequences ? [r.sequence, ...finals] : finals, 1); // [B, T' + S, H]
    }
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const upstream = unpackGradient(dy, packed, returnSequences, S, T);
      const wantInitial = initial.some((s) => s !== null);
      const g = backwardThroughTime(engine, saved, upstream, { input: inputGradient, initial: wantInitial });
      const grads = inputs.names.map((n): tf.Tensor => {
        if (n === 'x') return inputGradient ? (g.x as tf.Tensor3D) : tf.zerosLike(x);
        if (n.startsWith('param:')) return g.params[n.slice('param:'.length)];
        return (g.initial as tf.Tensor2D[])[Number(n.slice('initial:'.length))];
      });
      if (wantInitial) initial.forEach((s, k) => s === null && (g.initial as tf.Tensor2D[])[k].dispose());
      return grads;
    };
    return { value, gradFunc };
  });
  const out = withLeakCheck(cell.name, inputs.list, saved, () => f(...inputs.list));
  return packed ? unpack(out, returnSequences, S, T) : [out];
}

/** Whether tfjs records this call for a gradient (tf.grad, fit's minimize): else no tape is needed. */
function recording(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}

/**
 * The forward alone when no gradient is recorded (predict, evaluate): no customGrad; on the step
 * loop no tape at all, on a cell's own engine (fused kernels) its forward with the tape freed.
 */
function inference(cell: CellMath, engine: SequenceEngine, x: tf.Tensor3D, params: Params, initial: Array<tf.Tensor2D | null>, H: number, mask: tf.Tensor2D | null, constants: Constants, returnSequences: boolean, returnState: boolean): tf.Tensor[] {
  return tf.tidy(() => {
    const [B] = x.shape;
    const init = initial.map((s) => s ?? (tf.zeros([B, H]) as tf.Tensor2D));
    const r = engine.name === SCAN_ENGINE ? scanOutputs(cell, x, params, init, mask, constants, returnSequences) : engine.forward(x, params, init, mask);
    const output = returnSequences ? (r.sequence as tf.Tensor3D) : r.last[0];
    return returnState ? [output === r.last[0] ? tf.clone(output) : output, ...r.last] : [output];
  });
}

/**
 * tfjs's test mode (IS_TEST) counts every data id a customGrad's forward leaves behind as a leak,
 * and the tape we save is such. So the check runs here by tfjs's own rule — data ids after, less
 * before, less the output's — with the saved tape's new data ids allowed for.
 */
function withLeakCheck(name: string, inputs: readonly tf.Tensor[], saved: { list: tf.Tensor[] }, run: () => tf.Tensor): tf.Tensor {
  const env = tf.env();
  if (!env.getBool('IS_TEST')) return run();
  const engine = tf.engine() as unknown as { backend: { numDataIds(): number }; isTapeOn(): boolean };
  const before = engine.backend.numDataIds();
  const keptBySave = engine.isTapeOn(); // tfjs keeps what save() is given only while it records
  env.set('IS_TEST', false);
  let out: tf.Tensor;
  try {
    out = run();
  } finally {
    env.set('IS_TEST', true);
  }
  const known = new Set(inputs.map((t) => t.dataId));
  const kept = new Set([out, ...(keptBySave ? saved.list : [])].map((t) => t.dataId).filter((id) => !known.has(id)));
  const leaked = engine.backend.numDataIds() - before - kept.size;
  if (leaked > 0) throw new Error(`Backend '${tf.getBackend()}' has an internal memory leak (${leaked} data ids) after running '${name}'`);
  return out;
}

/** [output, ...finalStates] from the packed [B, T' + S, H]. */
function unpack(packed: tf.Tensor, returnSequences: boolean, S: number, T: number): tf.Tensor[] {
  const [B, , H] = packed.shape;
  const Tp = returnSequences ? T : 0;
  const finals = Array.from({ length: S }, (_, k) => tf.reshape(tf.slice(packed, [0, Tp + k, 0], [B, 1, H]), [B, H]));
  const output = returnSequences ? tf.slice(packed, [0, 0, 0], [B, T, H]) : tf.clone(finals[0]);
  return [output, ...finals];
}

/** The upstream gradients of the sequence and of each final state, from dy of the (packed) value. */
function unpackGradient(dy: tf.Tensor, packed: boolean, returnSequences: boolean, S: number, T: number): { dSequence: tf.Tensor3D | null; dLast: Array<tf.Tensor2D | null> } {
  const none = Array.from({ length: S - 1 }, () => null);
  if (!packed) {
    return returnSequences ? { dSequence: dy as tf.Tensor3D, dLast: [null, ...none] } : { dSequence: null, dLast: [dy as tf.Tensor2D, ...none] };
  }
  const [B, , H] = dy.shape;
  const Tp = returnSequences ? T : 0;
  const dLast = Array.from({ length: S }, (_, k) => tf.reshape(tf.slice(dy, [0, Tp + k, 0], [B, 1, H]), [B, H]) as tf.Tensor2D);
  return { dSequence: returnSequences ? (tf.slice(dy, [0, 0, 0], [B, T, H]) as tf.Tensor3D) : null, dLast };
}
