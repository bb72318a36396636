/**
 * Fused GRU step on WebGPU (the math of src/cells/gru.ts; gate order z, r, h; P [T, B, 3H] holds
 * x·W + b for every step, read at step t, no Slice):
 *
 *   resetAfter:  R = h_{t−1}·U + b' (tfjs fused matMul)                                   1 dispatch
 *                h_t = z ⊙ h_{t−1} + (1 − z) ⊙ act(P_h + r ⊙ R_h)                       1 (gruHidden)
 *     backward:  dp = [dp_z, dp_r, da_h], dR = [dp_z, dp_r, da_h ⊙ r]                   2 (gruGradP, gruGradR)
 *                dh_{t−1} = dR·Uᵀ + dh ⊙ z                                              2 (gruDirect, fused matMul)
 *   resetAfter false (gru_reset_before.ts): A = h_{t−1}·U_zr; h_t with (r ⊙ h_{t−1})·U_h
 *                formed inside the kernel                                               2 (matMul, gruHiddenRb)
 *     backward:  da_h; d(rh) = da_h·U_hᵀ; [dp_z, dp_r]; d(rh) ⊙ r + dh ⊙ z; dzr·U_zrᵀ + that   5
 * with dh = dh through step t+1 + dSequence_t (read from [T, B, H] at step t) and
 *   da_h = dh ⊙ (1 − z) ⊙ act'(h̃),  dp_z = dh ⊙ (h_{t−1} − h̃) ⊙ rec'(z),  dp_r = (da_h ⊙ R_h | d(rh) ⊙ h_{t−1}) ⊙ rec'(r).
 * A mask m [T, B] (read at step t) keeps h_{t−1} where m is 0; there the backward makes no gate
 * gradient and passes dh to h_{t−1} whole (in gruDirect): the same dispatch counts.
 */
import * as tf from '@tensorflow/tfjs';
import { activationWgsl } from './activations_wgsl';
import { gruResetBeforeBackward, gruResetBeforeForward } from './gru_reset_before';
import type { GateOptions } from './lstm';
import { FusedKernelSpec, masked, runFused } from './program';

export interface GRUOptions extends GateOptions {
  resetAfter: boolean;
}

const helpers = (o: GRUOptions): string => activationWgsl('act', o.activation) + activationWgsl('rec', o.recurrentActivation);

/** resetAfter: z, r, R_h, h̃ at (row, j) from R [B, 3H], and dh when DH is given. */
const GATES = (p: ReadonlySet<string>): string => `
    let B = uniforms.outShape[0];
    let pb = (t * B + row) * 3 * H;
    let s = row * H + j;
    let hp = Hp[s];
    let z = rec(P[pb + j] + R[row * 3 * H + j]);
    let r = rec(P[pb + H + j] + R[row * 3 * H + H + j]);
    let Rh = R[row * 3 * H + 2 * H + j];
    let hc = act(P[pb + 2 * H + j] + r * Rh);
    ${p.has('DH') ? `let dh = DH[s]${p.has('DS') ? ' + DS[(t * B + row) * H + j]' : ''};` : ''}`;

const HIDDEN: FusedKernelSpec<GRUOptions> = {
  name: 'TfjsRnnGruHidden',
  helpers,
  body: (_o, p) => `
    let j = col;
    ${GATES(p)}
    result[index] = ${masked(p, 'hp', 'z * hp + (1.0 - z) * hc')};`,
};

/** [dp_z, dp_r, da_h] (which = P) or [dp_z, dp_r, da_h ⊙ r] (which = R); output [B, 3H]; 0 where m is 0. */
const gradResetAfter = (which: 'P' | 'R'): FusedKernelSpec<GRUOptions> => ({
  name: `TfjsRnnGruGrad${which}`,
  helpers,
  body: (_o, p) => `
    let k = col / H;
    let j = col - k * H;
    ${GATES(p)}
    let dah = dh * (1.0 - z) * actD(hc);
    var d = 0.0;
    switch k {
      case 0: { d = dh * (hp - hc) * recD(z); }
      case 1: { d = dah * Rh * recD(r); }
      default: { d = ${which === 'P' ? 'dah' : 'dah * r'}; }
    }
    result[index] = ${masked(p, '0.0', 'd')};`,
});
const GRAD_P = gradResetAfter('P');
const GRAD_R = gradResetAfter('R');

/** dh ⊙ z, or dh where m is 0: the term of dh_{t−1} outside the matMul. */
const DIRECT: FusedKernelSpec<GRUOptions> = {
  name: 'TfjsRnnGruDirect',
  helpers,
  body: (_o, p) => `
    let j = col;
    ${GATES(p)}
    result[index] = ${masked(p, 'dh', 'dh * z')};`,
};

export interface GRUStepWeights {
  U: tf.Tensor2D; // [H, 3H]
  /** resetAfter: b' [3H] or null. */
  recurrentBias: tf.Tensor1D | null;
  /** resetAfter false: U[:, :2H] and U[:, 2H:], cut once per sequence. */
  Uzr?: tf.Tensor2D;
  Uh?: tf.Tensor2D;
}

/** What a forward step leaves for its backward: resetAfter R = h_{t−1}·U + b'; else A = h_{t−1}·U_zr. */
export interface GRUStepSaved {
  R?: tf.Tensor2D;
  A?: tf.Tensor2D;
}

const resetBeforeWeights = (w: GRUStepWeights) => ({ U: w.U, Uzr: w.Uzr!, Uh: w.Uh! });

export function gruForwardStep(P: tf.Tensor3D, t: number, h: tf.Tensor2D, w: GRUStepWeights, o: GRUOptions, mask: tf.Tensor2D | null = null): { h: tf.Tensor2D; saved: GRUStepSaved } {
  const [B, H] = h.shape;
  if (!o.resetAfter) {
    const s = gruResetBeforeForward(P, t, h, resetBeforeWeights(w), o, mask);
    return { h: s.h, saved: { A: s.A } };
  }
  const R = (w.recurrentBias === null ? tf.matMul(h, w.U) : tf.fused.matMul({ a: h, b: w.U, bias: w.recurrentBias })) as tf.Tensor2D; // [B, 3H]
  return { h: runFused(HIDDEN, { P, R, Hp: h, M: mask }, [B, H], o, H, t), saved: { R } };
}

/**
 * One backward step: dhRec = ∂L/∂h_t through step t+1, dS [T, B, H] or null, mask [T, B] or null.
 * Returns dp in column blocks (resetAfter: [dp] [B, 3H]; else [dzr [B, 2H], da_h [B, H]]) for ∂W,
 * ∂b, ∂x, the recurrent gradients (resetAfter: [dR] [B, 3H]; else [dzr, da_h]) and ∂L/∂h_{t−1}
 * through this step.
 */
export function gruBackwardStep(
  P: tf.Tensor3D, t: number, hPrev: tf.Tensor2D, saved: GRUStepSaved, w: GRUStepWeights, dhRec: tf.Tensor2D, dS: tf.Tensor3D | null, o: GRUOptions,
  mask: tf.Tensor2D | null = null,
) {
  const [B, H] = hPrev.shape;
  if (!o.resetAfter) {
    const g = gruResetBeforeBackward(P, t, hPrev, saved.A!, resetBeforeWeights(w), dhRec, dS, o, mask);
    // dp = [dzr, da_h]: kept as two (the caller's sums over all steps take them apart anyway).
    return { dp: [g.dzr, g.dah], recurrent: [g.dzr, g.dah], dhPrev: g.dhPrev };
  }
  const inputs = { P, R: saved.R!, Hp: hPrev, DH: dhRec, DS: dS, M: mask };
  const dp = runFused(GRAD_P, inputs, [B, 3 * H], o, H, t);
  const dR = runFused(GRAD_R, inputs, [B, 3 * H], o, H, t);
  const direct = runFused(DIRECT, inputs, [B, H], o, H, t);
  const dhPrev = tf.fused.matMul({ a: dR, b: w.U, transposeB: true, bias: direct }) as tf.Tensor2D;
  tf.dispose(direct);
  return { dp: [dp], recurrent: [dR], dhPrev };
}
