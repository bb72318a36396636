/**
 * Fused SimpleRNN step on WebGPU (the math of src/cells/simple_rnn.ts), and a whole sequence on it:
 *
 *   forward   R = h_{t−1}·U (tfjs matMul)                                   1 dispatch
 *             h_t = act(P_t + R + b), P [T, B, H] read at step t (no Slice)  1 (simpleRnnHidden)
 *   backward  dz = (dh through step t+1 + dSequence_t) ⊙ act'(h_t)         1 (simpleRnnGradZ)
 *             dh through step t = dz·Uᵀ (tfjs matMul)                       1
 * A mask m [T, B] (read at step t) keeps h_{t−1} where m is 0: in the forward kernel's select; in
 * the backward dz is 0 there and (1 − m) ⊙ dh_t passes to h_{t−1} as the addend of dz·Uᵀ's fused
 * matMul (one more kernel, maskCarry in program.ts): 2 / 3 dispatches per step with a mask.
 */
import * as tf from '@tensorflow/tfjs';
import { activationWgsl, FusedActivation } from './activations_wgsl';
import { FusedKernelSpec, MASK_CARRY, masked, runFused } from './program';

export interface SimpleRNNOptions {
  activation: FusedActivation;
}

const helpers = (o: SimpleRNNOptions): string => activationWgsl('act', o.activation);

const HIDDEN: FusedKernelSpec<SimpleRNNOptions> = {
  name: 'TfjsRnnSimpleHidden',
  helpers,
  body: (_o, p) => `
    let h = act((P[(t * uniforms.outShape[0] + row) * H + col] + R[index])${p.has('Bias') ? ' + Bias[col]' : ''});
    result[index] = ${masked(p, 'Hp[index]', 'h')};`,
};

const GRAD_Z: FusedKernelSpec<SimpleRNNOptions> = {
  name: 'TfjsRnnSimpleGradZ',
  helpers,
  body: (_o, p) => `
    let dh = DH[index]${p.has('DS') ? ' + DS[(t * uniforms.outShape[0] + row) * H + col]' : ''};
    result[index] = ${masked(p, '0.0', 'dh * actD(Hn[index])')};`,
};

export interface FusedSimpleWeights {
  W: tf.Tensor2D; // [D, H]
  U: tf.Tensor2D; // [H, H]
  b: tf.Tensor1D | null; // [H]
}

/** One forward step; P [T, B, H] = x·W for every step. */
export function simpleRNNForwardStep(P: tf.Tensor3D, t: number, h: tf.Tensor2D, w: FusedSimpleWeights, o: SimpleRNNOptions, mask: tf.Tensor2D | null = null): tf.Tensor2D {
  const [B, H] = h.shape;
  const R = tf.matMul(h, w.U); // [B, H]
  const hNext = runFused(HIDDEN, { P, R, Bias: w.b, Hp: mask === null ? null : h, M: mask }, [B, H], o, H, t);
  R.dispose();
  return hNext;
}

/**
 * x [B, T, D] → sequence [B, T, H] and the states h_0 .. h_T (the caller disposes all but h0);
 * mask [T, B] of 0/1 or null (a 0 keeps h_{t−1}; give the same mask to the backward).
 */
export function fusedSimpleRNNForward(x: tf.Tensor3D, w: FusedSimpleWeights, h0: tf.Tensor2D, o: SimpleRNNOptions, mask: tf.Tensor2D | null = null) {
  const [B, T, D] = x.shape;
  const H = w.U.shape[0];
  const P = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, D]), w.W), [T, B, H])) as tf.Tensor3D;
  const states = [h0];
  for (let t = 0; t < T; t++) states.push(simpleRNNForwardStep(P, t, states[t], w, o, mask));
  P.dispose();
  return { sequence: tf.stack(states.slice(1), 1) as tf.Tensor3D, states };
}

/** BPTT for L = Σ dSequence ⊙ sequence (+ dLast ⊙ h_T), with the forward's mask or null: ∂W, ∂U, ∂b, ∂x, ∂h0. */
export function fusedSimpleRNNBackward(
  x: tf.Tensor3D, states: tf.Tensor2D[], w: FusedSimpleWeights, dSequence: tf.Tensor3D | null, dLast: tf.Tensor2D | null, o: SimpleRNNOptions,
  mask: tf.Tensor2D | null = null,
) {
  const out = tf.tidy(() => {
    const [B, T, D] = x.shape;
    const H = w.U.shape[0];
    const dS = dSequence === null ? null : (tf.transpose(dSequence, [1, 0, 2]) as tf.Tensor3D); // [T, B, H]
    let dh = dLast ?? (tf.zeros([B, H]) as tf.Tensor2D);
    const dzs: tf.Tensor2D[] = new Array(T);
    for (let t = T - 1; t >= 0; t--) {
      dzs[t] = runFused(GRAD_Z, { DH: dh, DS: dS, Hn: states[t + 1], M: mask }, [B, H], o, H, t);
      // ∂L/∂h_{t−1} through step t, plus (1 − m) ⊙ dh_t with a mask
      if (mask === null) dh = tf.matMul(dzs[t], w.U, false, true);
      else dh = tf.fused.matMul({ a: dzs[t], b: w.U, transposeB: true, bias: runFused(MASK_CARRY, { DH: dh, DS: dS, M: mask }, [B, H], {}, H, t) }) as tf.Tensor2D;
    }
    const dZ = tf.reshape(tf.stack(dzs), [T * B, H]) as tf.Tensor2D;
    const X = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, D]) as tf.Tensor2D;
    const Hprev = tf.reshape(tf.stack(states.slice(0, T)), [T * B, H]) as tf.Tensor2D;
    return [
      tf.matMul(X, dZ, true, false), // ∂W [D, H]
      tf.matMul(Hprev, dZ, true, false), // ∂U [H, H]
      tf.transpose(tf.reshape(tf.matMul(dZ, w.W, false, true), [T, B, D]), [1, 0, 2]), // ∂x
      dh,
      ...(w.b === null ? [] : [tf.sum(dZ, 0)]),
    ];
  });
  return { kernel: out[0] as tf.Tensor2D, recurrentKernel: out[1] as tf.Tensor2D, input: out[2] as tf.Tensor3D, initialState: out[3] as tf.Tensor2D, bias: (out[4] ?? null) as tf.Tensor1D | null };
}
