/**
 * Fused GRU step on WebGPU (the math of src/cells/gru.ts; gate order z, r, h; P [T, B, 3H] holds
 * x·W + b for every step, read at step t, no Slice):
 *
 *   resetAfter:  R = h_{t−1}·U + b' (tfjs fused matMul)                                   1 dispatch
 *                h_t = z ⊙ h_{t−1} + (1 − z) ⊙ act(P_h + r ⊙ R_h)                       1 (gruHidden)
 *     backward:  dp = [dp_z, dp_r, da_h], dR = [dp_z, dp_r, da_h ⊙ r]                   2 (gruGradP, gruGradR)
 *                dh_{t−1} = dR·Uᵀ + dh ⊙ z                                              2 (gruDirect, fused matMul)
 *   resetAfter false:  A = h_{t−1}·U_zr; rh = r ⊙ h_{t−1}; C = rh·U_h; h_t                4 (matMul, gruResetH, matMul, gruHidden)
 *     backward:  da_h; d(rh) = da_h·U_hᵀ; [dp_z, dp_r]; d(rh) ⊙ r + dh ⊙ z; dzr·U_zrᵀ + that   5
 * with dh = dh through step t+1 + dSequence_t (read from [T, B, H] at step t) and
 *   da_h = dh ⊙ (1 − z) ⊙ act'(h̃),  dp_z = dh ⊙ (h_{t−1} − h̃) ⊙ rec'(z),  dp_r = (da_h ⊙ R_h | d(rh) ⊙ h_{t−1}) ⊙ rec'(r).
 * A mask m [T, B] (read at step t) keeps h_{t−1} where m is 0 (forward).
 */
import * as tf from '@tensorflow/tfjs';
import { activationWgsl } from './activations_wgsl';
import type { GateOptions } from './lstm';
import { FusedKernelSpec, runFused } from './program';

export interface GRUOptions extends GateOptions {
  resetAfter: boolean;
}

const helpers = (o: GRUOptions): string => activationWgsl('act', o.activation) + activationWgsl('rec', o.recurrentActivation);

/**
 * z, r, h̃ at (row, j), and dh when DH is given. resetAfter: R [B, 3H]; else A [B, 2H] and C [B, H].
 */
const GATES = (o: GRUOptions, p: ReadonlySet<string>): string => `
    let B = uniforms.outShape[0];
    let pb = (t * B + row) * 3 * H;
    let s = row * H + j;
    let hp = Hp[s];
    ${o.resetAfter ? `
    let z = rec(P[pb + j] + R[row * 3 * H + j]);
    let r = rec(P[pb + H + j] + R[row * 3 * H + H + j]);
    let Rh = R[row * 3 * H + 2 * H + j];
    let hc = act(P[pb + 2 * H + j] + r * Rh);` : `
    let z = rec(P[pb + j] + A[row * 2 * H + j]);
    let r = rec(P[pb + H + j] + A[row * 2 * H + H + j]);
    ${p.has('C') ? 'let hc = act(P[pb + 2 * H + j] + C[s]);' : ''}`}
    ${p.has('DH') ? `let dh = DH[s]${p.has('DS') ? ' + DS[(t * B + row) * H + j]' : ''};` : ''}`;

const HIDDEN: FusedKernelSpec<GRUOptions> = {
  name: 'TfjsRnnGruHidden',
  helpers,
  body: (o, p) => `
    let j = col;
    ${GATES(o, p)}
    let h = z * hp + (1.0 - z) * hc;
    ${p.has('M') ? 'result[index] = select(hp, h, M[t * uniforms.outShape[0] + row] != 0.0);' : 'result[index] = h;'}`,
};

const RESET_H: FusedKernelSpec<GRUOptions> = {
  name: 'TfjsRnnGruResetH',
  helpers,
  body: (o, p) => `
    let j = col;
    ${GATES(o, p)}
    result[index] = r * hp;`,
};

/** [dp_z, dp_r, da_h] (which = P) or [dp_z, dp_r, da_h ⊙ r] (which = R), resetAfter; output [B, 3H]. */
const gradResetAfter = (which: 'P' | 'R'): FusedKernelSpec<GRUOptions> => ({
  name: `TfjsRnnGruGrad${which}`,
  helpers,
  body: (o, p) => `
    let k = col / H;
    let j = col - k * H;
    ${GATES(o, p)}
    let dah = dh * (1.0 - z) * actD(hc);
    var d = 0.0;
    switch k {
      case 0: { d = dh * (hp - hc) * recD(z); }
      case 1: { d = dah * Rh * recD(r); }
      default: { d = ${which === 'P' ? 'dah' : 'dah * r'}; }
    }
    result[index] = d;`,
});
const GRAD_P = gradResetAfter('P');
const GRAD_R = gradResetAfter('R');

/** dh ⊙ z (+ d(rh) ⊙ r when DRH is given): the terms of dh_{t−1} outside the matMul. */
const DIRECT: FusedKernelSpec<GRUOptions> = {
  name: 'TfjsRnnGruDirect',
  helpers,
  body: (o, p) => `
    let j = col;
    ${GATES(o, p)}
    result[index] = ${p.has('DRH') ? 'DRH[s] * r + dh * z' : 'dh * z'};`,
};

/** resetAfter false: da_h [B, H]. */
const GRAD_AH: FusedKernelSpec<GRUOptions> = {
  name: 'TfjsRnnGruGradAh',
  helpers,
  body: (o, p) => `
    let j = col;
    ${GATES(o, p)}
    result[index] = dh * (1.0 - z) * actD(hc);`,
};

/** resetAfter false: [dp_z, dp_r] [B, 2H]. */
const GRAD_ZR: FusedKernelSpec<GRUOptions> = {
  name: 'TfjsRnnGruGradZr',
  helpers,
  body: (o, p) => `
    let k = col / H;
    let j = col - k * H;
    ${GATES(o, p)}
    result[index] = select(DRH[s] * hp * recD(r), dh * (hp - hc) * recD(z), k == 0);`,
};

export interface GRUStepWeights {
  U: tf.Tensor2D; // [H, 3H]
  /** resetAfter: b' [3H] or null. */
  recurrentBias: tf.Tensor1D | null;
  /** resetAfter false: U[:, :2H] and U[:, 2H:], cut once per sequence. */
  Uzr?: tf.Tensor2D;
  Uh?: tf.Tensor2D;
}

/** What a forward step leaves for its backward: resetAfter R; else A, C. */
export interface GRUStepSaved {
  R?: tf.Tensor2D;
  A?: tf.Tensor2D;
  C?: tf.Tensor2D;
  rh?: tf.Tensor2D;
}

export function gruForwardStep(P: tf.Tensor3D, t: number, h: tf.Tensor2D, w: GRUStepWeights, o: GRUOptions, mask: tf.Tensor2D | null = null): { h: tf.Tensor2D; saved: GRUStepSaved } {
  const [B, H] = h.shape;
  const M = mask;
  if (o.resetAfter) {
    const R = (w.recurrentBias === null ? tf.matMul(h, w.U) : tf.fused.matMul({ a: h, b: w.U, bias: w.recurrentBias })) as tf.Tensor2D; // [B, 3H]
    return { h: runFused(HIDDEN, { P, R, Hp: h, M }, [B, H], o, H, t), saved: { R } };
  }
  const A = tf.matMul(h, w.Uzr!) as tf.Tensor2D; // [B, 2H]
  const rh = runFused(RESET_H, { P, A, Hp: h }, [B, H], o, H, t); // r ⊙ h_{t−1}
  const C = tf.matMul(rh, w.Uh!) as tf.Tensor2D; // [B, H]
  return { h: runFused(HIDDEN, { P, A, C, Hp: h, M }, [B, H], o, H, t), saved: { A, C, rh } };
}

/**
 * One backward step (no mask): dhRec = ∂L/∂h_t through step t+1, dS [T, B, H] or null. Returns dp
 * in column blocks (resetAfter: [dp] [B, 3H]; else [dzr [B, 2H], da_h [B, H]]) for ∂W, ∂b, ∂x, the
 * recurrent gradients (resetAfter: [dR] [B, 3H]; else [dzr, da_h]) and ∂L/∂h_{t−1} through this step.
 */
export function gruBackwardStep(P: tf.Tensor3D, t: number, hPrev: tf.Tensor2D, saved: GRUStepSaved, w: GRUStepWeights, dhRec: tf.Tensor2D, dS: tf.Tensor3D | null, o: GRUOptions) {
  const [B, H] = hPrev.shape;
  if (o.resetAfter) {
    const inputs = { P, R: saved.R!, Hp: hPrev, DH: dhRec, DS: dS };
    const dp = runFused(GRAD_P, inputs, [B, 3 * H], o, H, t);
    const dR = runFused(GRAD_R, inputs, [B, 3 * H], o, H, t);
    const direct = runFused(DIRECT, { P, R: saved.R!, Hp: hPrev, DH: dhRec, DS: dS }, [B, H], o, H, t);
    const dhPrev = tf.fused.matMul({ a: dR, b: w.U, transposeB: true, bias: direct }) as tf.Tensor2D;
    tf.dispose(direct);
    return { dp: [dp], recurrent: [dR], dhPrev };
  }
  const base = { P, A: saved.A!, Hp: hPrev, DH: dhRec, DS: dS };
  const dah = runFused(GRAD_AH, { ...base, C: saved.C! }, [B, H], o, H, t);
  const drh = tf.matMul(dah, w.Uh!, false, true) as tf.Tensor2D; // d(r ⊙ h_{t−1})  [B, H]
  const dzr = runFused(GRAD_ZR, { ...base, C: saved.C!, DRH: drh }, [B, 2 * H], o, H, t);
  const direct = runFused(DIRECT, { P, A: saved.A!, Hp: hPrev, DH: dhRec, DS: dS, DRH: drh }, [B, H], o, H, t);
  const dhPrev = tf.fused.matMul({ a: dzr, b: w.Uzr!, transposeB: true, bias: direct }) as tf.Tensor2D;
  tf.dispose([drh, direct]);
  // dp = [dzr, da_h]: kept as two (the caller's sums over all steps take them apart anyway).
  return { dp: [dzr, dah], recurrent: [dzr, dah], dhPrev };
}
