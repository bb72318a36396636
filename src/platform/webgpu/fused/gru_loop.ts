/**
 * A whole GRU sequence on the fused WebGPU step (gru.ts), forward and manual BPTT, time-major as
 * lstm_loop.ts: x·W + b for all steps in one matMul, [T, B, 3H]; the weight gradients as matMuls
 * over all T·B rows, per column block. Per step, forward / backward: resetAfter 2 / 4, resetAfter
 * false 2 / 5, with or without a mask [T, B].
 */
import * as tf from '@tensorflow/tfjs';
import { GRUOptions, gruBackwardStep, gruForwardStep, GRUStepSaved, GRUStepWeights } from './gru';
import { rhAllSteps } from './gru_reset_before';

export interface FusedGRUWeights {
  W: tf.Tensor2D; // [D, 3H]
  U: tf.Tensor2D; // [H, 3H]
  /** resetAfter: [2, 3H] (input bias, recurrent bias); else [3H]; or null. */
  b: tf.Tensor | null;
}

export interface FusedGRUTape {
  x: tf.Tensor3D; // [B, T, D]
  P: tf.Tensor3D; // [T, B, 3H]
  h: tf.Tensor2D[]; // h_0 .. h_T
  saved: GRUStepSaved[];
  step: GRUStepWeights;
  mask: tf.Tensor2D | null; // [T, B], the caller's
}

function stepWeights(w: FusedGRUWeights, o: GRUOptions): { step: GRUStepWeights; inputBias: tf.Tensor1D | null } {
  const H = w.U.shape[0];
  if (o.resetAfter) {
    const [bi, br] = w.b === null ? [null, null] : (tf.unstack(w.b) as tf.Tensor1D[]);
    return { step: { U: w.U, recurrentBias: br }, inputBias: bi };
  }
  const [Uzr, Uh] = tf.split(w.U, [2 * H, H], 1) as tf.Tensor2D[];
  return { step: { U: w.U, recurrentBias: null, Uzr, Uh }, inputBias: w.b as tf.Tensor1D | null };
}

/**
 * x [B, T, D]; h0 [B, H]; mask [T, B] of 0/1 or null (a 0 keeps h_{t−1}). Returns the sequence
 * [B, T, H] and the tape (the caller disposes both; disposeGRUTape).
 */
export function fusedGRUForward(x: tf.Tensor3D, w: FusedGRUWeights, h0: tf.Tensor2D, o: GRUOptions, mask: tf.Tensor2D | null = null) {
  const [B, T, D] = x.shape;
  const G = w.U.shape[1];
  const { step, inputBias } = stepWeights(w, o);
  const P = tf.tidy(() => {
    const X = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, D]) as tf.Tensor2D;
    return tf.reshape(inputBias === null ? tf.matMul(X, w.W) : tf.fused.matMul({ a: X, b: w.W, bias: inputBias }), [T, B, G]);
  }) as tf.Tensor3D;
  if (o.resetAfter) inputBias?.dispose(); // a row of w.b cut here; else it is w.b itself
  const tape: FusedGRUTape = { x, P, h: [h0], saved: [], step, mask };
  for (let t = 0; t < T; t++) {
    const s = gruForwardStep(P, t, tape.h[t], step, o, mask);
    tape.h.push(s.h);
    tape.saved.push(s.saved);
  }
  return { sequence: tf.stack(tape.h.slice(1), 1) as tf.Tensor3D, tape };
}

export function disposeGRUTape(tape: FusedGRUTape): void {
  tf.dispose([tape.P, ...tape.h.slice(1), ...tape.saved.flatMap((s) => [s.R, s.A].filter((t): t is tf.Tensor2D => t !== undefined))]);
  for (const t of [tape.step.recurrentBias, tape.step.Uzr, tape.step.Uh]) t?.dispose();
}

/** BPTT for L = Σ dSequence ⊙ sequence (+ dLast ⊙ h_T), honouring the tape's mask: ∂W, ∂U, ∂b (the bias's shape), ∂x, ∂h0. */
export function fusedGRUBackward(tape: FusedGRUTape, w: FusedGRUWeights, dSequence: tf.Tensor3D | null, dLast: tf.Tensor2D | null, o: GRUOptions) {
  const out = tf.tidy(() => {
    const [B, T, D] = tape.x.shape;
    const H = w.U.shape[0];
    const dS = dSequence === null ? null : (tf.transpose(dSequence, [1, 0, 2]) as tf.Tensor3D); // [T, B, H]
    let dh = dLast ?? (tf.zeros([B, H]) as tf.Tensor2D);
    const dps: tf.Tensor2D[][] = [];
    const drs: tf.Tensor2D[][] = [];
    for (let t = T - 1; t >= 0; t--) {
      const g = gruBackwardStep(tape.P, t, tape.h[t], tape.saved[t], tape.step, dh, dS, o, tape.mask);
      dps[t] = g.dp;
      drs[t] = g.recurrent;
      dh = g.dhPrev;
    }
    const rows = (list: tf.Tensor2D[][], k: number) => tf.reshape(tf.stack(list.map((l) => l[k])), [T * B, -1]) as tf.Tensor2D;
    const X = tf.reshape(tf.transpose(tape.x, [1, 0, 2]), [T * B, D]) as tf.Tensor2D;
    const Hprev = tf.reshape(tf.stack(tape.h.slice(0, T)), [T * B, H]) as tf.Tensor2D;
    const dP = dps[0].map((_, k) => rows(dps, k)); // column blocks of ∂p, time-major rows
    const dR = drs[0].map((_, k) => rows(drs, k));
    // The recurrent operands per block: h_{t−1}, and (resetAfter false) r ⊙ h_{t−1} for U_h.
    const recOperands = o.resetAfter ? [Hprev] : [Hprev, rhAllSteps(tape.P, tf.reshape(tf.stack(tape.saved.map((s) => s.A!)), [T * B, 2 * H]) as tf.Tensor2D, Hprev, o)];
    const Ws = dP.length === 1 ? [w.W] : tf.split(w.W, [2 * H, H], 1);
    const input = dP.map((d, k) => tf.matMul(d, Ws[k], false, true)).reduce((a, b) => tf.add(a, b));
    const biasIn = tf.concat(dP.map((d) => tf.sum(d, 0)));
    return [
      tf.concat(dP.map((d) => tf.matMul(X, d, true, false)), 1), // ∂W [D, 3H]
      tf.concat(dR.map((d, k) => tf.matMul(recOperands[k], d, true, false)), 1), // ∂U [H, 3H]
      tf.transpose(tf.reshape(input, [T, B, D]), [1, 0, 2]), // ∂x [B, T, D]
      dh,
      ...(w.b === null ? [] : [o.resetAfter ? tf.stack([biasIn, tf.concat(dR.map((d) => tf.sum(d, 0)))]) : biasIn]),
    ];
  });
  return { kernel: out[0] as tf.Tensor2D, recurrentKernel: out[1] as tf.Tensor2D, input: out[2] as tf.Tensor3D, initialState: out[3] as tf.Tensor2D, bias: out[4] ?? null };
}
