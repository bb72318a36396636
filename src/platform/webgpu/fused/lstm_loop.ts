/**
 * A whole LSTM sequence on the fused WebGPU step (lstm.ts), forward and manual BPTT, with the
 * time-major arrangement the kernels read: x·W for all steps in one matMul, [T, B, 4H]; the
 * upstream dSequence as [T, B, H]; the weight gradients as single matMuls over all T·B rows.
 * Per step: 3 dispatches forward, 3 backward (4 with a mask), plus the stacking of T tensors, one
 * Concat per group of up to maxStorageBuffersPerShaderStage − 1 steps.
 */
import * as tf from '@tensorflow/tfjs';
import { GateOptions, lstmBackwardStep, lstmForwardStep } from './lstm';

export interface FusedLSTMWeights {
  W: tf.Tensor2D; // [D, 4H]
  U: tf.Tensor2D; // [H, 4H]
  b: tf.Tensor1D | null; // [4H]
}

export interface FusedLSTMTape {
  x: tf.Tensor3D; // [B, T, D]
  P: tf.Tensor3D; // [T, B, 4H]
  R: tf.Tensor2D[]; // T × [B, 4H]
  h: tf.Tensor2D[]; // T + 1 × [B, H]: h_0 .. h_T
  c: tf.Tensor2D[]; // T + 1 × [B, H]
  mask: tf.Tensor2D | null; // [T, B], the caller's
}

/**
 * x [B, T, D]; h0, c0 [B, H]; mask [T, B] of 0/1 or null (a 0 keeps the sequence's states). Returns
 * the sequence [B, T, H] and the tape (the caller disposes both).
 */
export function fusedLSTMForward(x: tf.Tensor3D, w: FusedLSTMWeights, h0: tf.Tensor2D, c0: tf.Tensor2D, o: GateOptions, mask: tf.Tensor2D | null = null) {
  const [B, T, D] = x.shape;
  const G = w.U.shape[1];
  const P = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, D]), w.W), [T, B, G])) as tf.Tensor3D;
  const tape: FusedLSTMTape = { x, P, R: [], h: [h0], c: [c0], mask };
  for (let t = 0; t < T; t++) {
    const s = lstmForwardStep(P, t, tape.h[t], tape.c[t], { U: w.U, b: w.b }, o, mask);
    tape.R.push(s.R);
    tape.h.push(s.h);
    tape.c.push(s.c);
  }
  const sequence = tf.stack(tape.h.slice(1), 1) as tf.Tensor3D; // [B, T, H]
  return { sequence, tape };
}

/** Frees what the tape made (not x, h0, c0). */
export function disposeTape(tape: FusedLSTMTape): void {
  tf.dispose([tape.P, ...tape.R, ...tape.h.slice(1), ...tape.c.slice(1)]);
}

/**
 * BPTT through the tape for L = Σ dSequence ⊙ sequence (+ dLast ⊙ h_T + dLastCell ⊙ c_T):
 * ∂W, ∂U, ∂b, ∂x and the initial states' gradients.
 */
export function fusedLSTMBackward(tape: FusedLSTMTape, w: FusedLSTMWeights, dSequence: tf.Tensor3D | null, dLast: tf.Tensor2D | null, dLastCell: tf.Tensor2D | null, o: GateOptions) {
  const [kernel, recurrentKernel, input, initialState, initialCell, bias] = tf.tidy(() => {
    const [B, T, D] = tape.x.shape;
    const H = w.U.shape[0];
    const dS = dSequence === null ? null : (tf.transpose(dSequence, [1, 0, 2]) as tf.Tensor3D); // [T, B, H]
    let dh = dLast ?? (tf.zeros([B, H]) as tf.Tensor2D);
    let dc = dLastCell ?? (tf.zeros([B, H]) as tf.Tensor2D);
    const dzs: tf.Tensor2D[] = new Array(T);
    for (let t = T - 1; t >= 0; t--) {
      const g = lstmBackwardStep(tape.P, t, tape.R[t], w.b, tape.c[t], tape.c[t + 1], dh, dS, dc, o, w.U, tape.mask);
      dzs[t] = g.dz;
      dc = g.dcPrev;
      dh = g.dhPrev; // ∂L/∂h_{t−1} through step t  [B, H]
    }
    const dZ = tf.reshape(tf.stack(dzs), [T * B, 4 * H]) as tf.Tensor2D; // time-major rows
    const X = tf.reshape(tf.transpose(tape.x, [1, 0, 2]), [T * B, D]) as tf.Tensor2D;
    const Hprev = tf.reshape(tf.stack(tape.h.slice(0, T)), [T * B, H]) as tf.Tensor2D;
    return [
      tf.matMul(X, dZ, true, false), // ∂W [D, 4H]
      tf.matMul(Hprev, dZ, true, false), // ∂U [H, 4H]
      tf.transpose(tf.reshape(tf.matMul(dZ, w.W, false, true), [T, B, D]), [1, 0, 2]), // ∂x [B, T, D]
      dh,
      dc,
      ...(w.b === null ? [] : [tf.sum(dZ, 0)]), // ∂b [4H]
    ];
  });
  return {
    kernel: kernel as tf.Tensor2D,
    recurrentKernel: recurrentKernel as tf.Tensor2D,
    bias: (bias ?? null) as tf.Tensor1D | null,
    input: input as tf.Tensor3D,
    initialState: initialState as tf.Tensor2D,
    initialCell: initialCell as tf.Tensor2D,
  };
}
