/**
 * One differentiable entry point for any cell: a tf.customGrad whose gradient IS the manual BPTT of
 * the time-step driver, for tf.grad, tf.variableGrads, optimizer.minimize and model.fit.
 *
 * customGrad returns one tensor, so when more than one output is wanted (returnState) they come out
 * packed along time as [B, T + S, H]: rows 0..T−1 the sequence (absent without returnSequences),
 * then the S final states (h_T, and c_T for an LSTM); `unpack` cuts them apart, and tfjs's own
 * gradient of that slicing routes the upstream gradients back into our backward.
 */
import * as tf from '@tensorflow/tfjs';
import type { CellMath, CellWeights } from './cell';
import { ScanTape, scanBackward, scanForward } from '../scan/scan';

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

/**
 * x [B, T, D]; weights in Keras layout; initial states [B, H] each, or null for zeros (which then get
 * no gradient). Returns [output] or [output, ...finalStates].
 */
export function differentiableScan(
  cell: CellMath,
  x: tf.Tensor3D,
  weights: CellWeights,
  initial: Array<tf.Tensor2D | null>,
  options: DifferentiableOptions = {},
): tf.Tensor[] {
  const returnSequences = options.returnSequences === true;
  const returnState = options.returnState === true;
  const inputGradient = options.inputGradient ?? true;
  const mask = options.mask ?? null;
  const S = cell.stateNames.length;
  const [B, T] = x.shape;
  const H = weights.recurrentKernel.shape[0];
  const given = initial.map((s) => s !== null);
  const inputs: tf.Tensor[] = [x, weights.kernel, weights.recurrentKernel];
  if (weights.bias !== null) inputs.push(weights.bias);
  initial.forEach((s) => {
    if (s !== null) inputs.push(s);
  });
  const packed = returnState; // one output otherwise

  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const tensors = args.slice(0, -1) as tf.Tensor[];
    let i = 3;
    const w: CellWeights = {
      kernel: tensors[1] as tf.Tensor2D,
      recurrentKernel: tensors[2] as tf.Tensor2D,
      bias: weights.bias === null ? null : tensors[i++],
    };
    const init = given.map((g) => (g ? (tensors[i++] as tf.Tensor2D) : (tf.zeros([B, H]) as tf.Tensor2D)));
    const r = scanForward(cell, tensors[0] as tf.Tensor3D, w, init, mask);
    const tape = r.tape;
    const flat: tf.Tensor[] = [tape.x, ...tape.initial, ...tape.states, ...tape.saved, tape.weights.kernel, tape.weights.recurrentKernel];
    if (tape.weights.bias !== null) flat.push(tape.weights.bias);
    if (tape.mask !== null) flat.push(tape.mask);
    save(flat);
    let value: tf.Tensor;
    if (!packed) {
      value = returnSequences ? r.sequence : r.last[0];
    } else {
      const finals = r.last.map((s) => tf.expandDims(s, 1)); // [B, 1, H] each
      value = tf.concat(returnSequences ? [r.sequence, ...finals] : finals, 1); // [B, T' + S, H]
    }
    const layout = tape.layout;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      let j = 0;
      const take = (n: number) => saved.slice(j, (j += n));
      const st: ScanTape = {
        layout,
        x: take(1)[0] as tf.Tensor3D,
        initial: take(S) as tf.Tensor2D[],
        states: take(S) as tf.Tensor3D[],
        saved: take(cell.savedNames.length) as tf.Tensor3D[],
        mask: null,
        weights: { kernel: take(1)[0] as tf.Tensor2D, recurrentKernel: take(1)[0] as tf.Tensor2D, bias: null },
      };
      st.weights.bias = weights.bias === null ? null : take(1)[0];
      st.mask = mask === null ? null : (take(1)[0] as tf.Tensor3D);
      const { dSequence, dLast } = unpackGradient(dy, packed, returnSequences, S, T);
      const wantInitial = given.some((g) => g);
      const g = scanBackward(cell, st, { dSequence, dLast }, { inputGradients: inputGradient, initialGradients: wantInitial });
      const grads: tf.Tensor[] = [inputGradient ? (g.x as tf.Tensor3D) : tf.zerosLike(tensors[0]), g.kernel, g.recurrentKernel];
      if (g.bias !== null) grads.push(g.bias);
      given.forEach((isGiven, k) => {
        if (isGiven) grads.push((g.initial as tf.Tensor2D[])[k]);
        else if (wantInitial) (g.initial as tf.Tensor2D[])[k].dispose();
      });
      return grads;
    };
    return { value, gradFunc };
  });
  const out = f(...inputs);
  return packed ? unpack(out, returnSequences, S, T) : [out];
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
function unpackGradient(
  dy: tf.Tensor,
  packed: boolean,
  returnSequences: boolean,
  S: number,
  T: number,
): { dSequence: tf.Tensor3D | null; dLast: Array<tf.Tensor2D | null> } {
  const none = Array.from({ length: S - 1 }, () => null);
  if (!packed) {
    return returnSequences ? { dSequence: dy as tf.Tensor3D, dLast: [null, ...none] } : { dSequence: null, dLast: [dy as tf.Tensor2D, ...none] };
  }
  const [B, , H] = dy.shape;
  const Tp = returnSequences ? T : 0;
  const dLast = Array.from({ length: S }, (_, k) => tf.reshape(tf.slice(dy, [0, Tp + k, 0], [B, 1, H]), [B, H]) as tf.Tensor2D);
  return { dSequence: returnSequences ? (tf.slice(dy, [0, 0, 0], [B, T, H]) as tf.Tensor3D) : null, dLast };
}
