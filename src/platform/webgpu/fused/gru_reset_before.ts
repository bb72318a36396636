/**
 * The fused GRU step of the form resetAfter false (Keras 2, tf.layers), on WebGPU; gate order z, r, h;
 * P [T, B, 3H] holds x·W + b for every step, read at step t; A = h_{t−1}·U_zr [B, 2H]:
 *
 *   forward   A = h_{t−1}·U_zr (tfjs matMul)                                          1 dispatch
 *             C = (r ⊙ h_{t−1})·U_h in the kernel, r = rec(P_r + A_r)
 *             h_t = z ⊙ h_{t−1} + (1 − z) ⊙ act(P_h + C)                             1 (gruHiddenRb)
 *   backward  da_h = dh ⊙ (1 − z) ⊙ act'(h̃), C formed again as in the forward          1 (gruGradAhRb)
 *             d(rh) = da_h·U_hᵀ (tfjs matMul)                                         1
 *             [dp_z, dp_r] = [dh ⊙ (h_{t−1} − h̃) ⊙ rec'(z), d(rh) ⊙ h_{t−1} ⊙ rec'(r)]  1 (gruGradZrRb)
 *             dh_{t−1} = [dp_z, dp_r]·U_zrᵀ + d(rh) ⊙ r + dh ⊙ z                       2 (gruDirectRb, fused matMul)
 * with dh = dh through step t+1 + dSequence_t (read from [T, B, H] at step t). With a mask m [T, B]
 * (read at step t): where m is 0 the forward keeps h_{t−1}, the gate gradients are 0 and dh passes to
 * h_{t−1} whole (in gruDirectRb): the same counts. r ⊙ h_{t−1} for ∂U_h is formed once for all steps
 * after the loop (rhAllSteps). The candidate's product runs in row-tiled kernels (program.ts): a
 * workgroup forms 64 values of r ⊙ h_{t−1} of its row at a time in workgroup memory, and each thread
 * sums them in k order, as tfjs's matMul does within a thread (the same float32 sums).
 */
import * as tf from '@tensorflow/tfjs';
import { activationWgsl } from './activations_wgsl';
import type { GateOptions } from './lstm';
import { FusedKernelSpec, masked, runFused } from './program';

const helpers = (o: GateOptions): string => activationWgsl('act', o.activation) + activationWgsl('rec', o.recurrentActivation);
/** The row-tiled kernels' share of r ⊙ h_{t−1}: 64 values of one row at a time. */
const tiledHelpers = (o: GateOptions): string => `${helpers(o)}\nvar<workgroup> rhTile : array<f32, 64>;\n`;

/** Where row `row` of step t starts in P [T, B, 3H], A [B, 2H], Hp [B, H]. */
const BASES = `
    let B = uniforms.outShape[0];
    let pb = (t * B + row) * 3 * H;
    let ab = row * 2 * H;
    let hb = row * H;`;

/**
 * C = (r ⊙ h_{t−1})·U_h at (row, j), U_h = U[:, 2H:], in a row-tiled kernel: each 64 k's of r ⊙ h
 * are formed once per workgroup (one rec() per thread) and summed in k order by every thread.
 */
const PRODUCT = `
    var C = 0.0;
    for (var k0 = 0; k0 < H; k0 = k0 + 64) {
      let kl = min(k0 + lane, H - 1);
      rhTile[lane] = rec(P[pb + H + kl] + A[ab + H + kl]) * Hp[hb + kl];
      workgroupBarrier();
      let n = min(64, H - k0);
      for (var kk = 0; kk < n; kk = kk + 1) {
        C = C + rhTile[kk] * U[(k0 + kk) * 3 * H + 2 * H + j];
      }
      workgroupBarrier();
    }`;

/** z, r (and h̃ = act(P_h + C) when C is formed) at (row, j), and dh when DH is given. */
const GATES = (p: ReadonlySet<string>, withC: boolean): string => `
    let s = hb + j;
    let hp = Hp[s];
    let z = rec(P[pb + j] + A[ab + j]);
    let r = rec(P[pb + H + j] + A[ab + H + j]);
    ${withC ? 'let hc = act(P[pb + 2 * H + j] + C);' : ''}
    ${p.has('DH') ? `let dh = DH[s]${p.has('DS') ? ' + DS[(t * B + row) * H + j]' : ''};` : ''}`;

/** A row-tiled kernel writing one value per (row, j) of [B, H] from the gates and h̃ (C formed in it); `kept` where m is 0. */
const withCandidate = (name: string, kept: string, value: string): FusedKernelSpec<GateOptions> => ({
  name,
  helpers: tiledHelpers,
  rowTiled: true,
  body: (_o, p) => `
    let j = min(col, H - 1); // lanes past the row's end compute a valid column and write nothing
    ${BASES}
    ${PRODUCT}
    ${GATES(p, true)}
    if (live) { result[outIndex] = ${masked(p, kept, value)}; }`,
});

/** h_t [B, H]. */
const HIDDEN = withCandidate('TfjsRnnGruHiddenRb', 'hp', 'z * hp + (1.0 - z) * hc');
/** da_h [B, H]. */
const GRAD_AH = withCandidate('TfjsRnnGruGradAhRb', '0.0', 'dh * (1.0 - z) * actD(hc)');

/** [dp_z, dp_r] [B, 2H]; every thread forms C (the barriers want them all), dp_z uses it. */
const GRAD_ZR: FusedKernelSpec<GateOptions> = {
  name: 'TfjsRnnGruGradZrRb',
  helpers: tiledHelpers,
  rowTiled: true,
  body: (_o, p) => `
    let cc = min(col, 2 * H - 1);
    let blk = cc / H;
    let j = cc - blk * H;
    ${BASES}
    ${PRODUCT}
    ${GATES(p, true)}
    let d = select(DRH[s] * hp * recD(r), dh * (hp - hc) * recD(z), blk == 0);
    if (live) { result[outIndex] = ${masked(p, '0.0', 'd')}; }`,
};

/** d(rh) ⊙ r + dh ⊙ z, or dh where m is 0: the terms of dh_{t−1} outside the matMul. */
const DIRECT: FusedKernelSpec<GateOptions> = {
  name: 'TfjsRnnGruDirectRb',
  helpers,
  body: (_o, p) => `
    let j = col;
    ${BASES}
    ${GATES(p, false)}
    result[index] = ${masked(p, 'dh', 'DRH[s] * r + dh * z')};`,
};

/** r ⊙ h_{t−1} for all steps at once: rows t·B + b of P [T·B, 3H], A [T·B, 2H], Hp [T·B, H]. */
const RH_ALL: FusedKernelSpec<GateOptions> = {
  name: 'TfjsRnnGruResetHAll',
  helpers,
  body: () => `
    result[index] = rec(P[row * 3 * H + H + col] + A[row * 2 * H + H + col]) * Hp[index];`,
};

export interface GRUResetBeforeWeights {
  U: tf.Tensor2D; // [H, 3H], read in the kernels for U_h
  Uzr: tf.Tensor2D; // U[:, :2H]
  Uh: tf.Tensor2D; // U[:, 2H:]
}

/** One forward step: h_t [B, H] and A = h_{t−1}·U_zr [B, 2H] (what the backward needs). */
export function gruResetBeforeForward(P: tf.Tensor3D, t: number, h: tf.Tensor2D, w: GRUResetBeforeWeights, o: GateOptions, mask: tf.Tensor2D | null = null) {
  const [B, H] = h.shape;
  const A = tf.matMul(h, w.Uzr) as tf.Tensor2D; // [B, 2H]
  return { h: runFused(HIDDEN, { P, A, Hp: h, U: w.U, M: mask }, [B, H], o, H, t), A };
}

/**
 * One backward step: dhRec = ∂L/∂h_t through step t+1, dS [T, B, H] or null, mask [T, B] or null.
 * Returns dzr [B, 2H], da_h [B, H] and ∂L/∂h_{t−1} through this step.
 */
export function gruResetBeforeBackward(
  P: tf.Tensor3D, t: number, hPrev: tf.Tensor2D, A: tf.Tensor2D, w: GRUResetBeforeWeights,
  dhRec: tf.Tensor2D, dS: tf.Tensor3D | null, o: GateOptions, mask: tf.Tensor2D | null = null,
) {
  const [B, H] = hPrev.shape;
  const base = { P, A, Hp: hPrev, DH: dhRec, DS: dS, M: mask };
  const dah = runFused(GRAD_AH, { ...base, U: w.U }, [B, H], o, H, t); // [B, H]
  const drh = tf.matMul(dah, w.Uh, false, true) as tf.Tensor2D; // d(r ⊙ h_{t−1})  [B, H]
  const dzr = runFused(GRAD_ZR, { ...base, U: w.U, DRH: drh }, [B, 2 * H], o, H, t); // [B, 2H]
  const direct = runFused(DIRECT, { ...base, DRH: drh }, [B, H], o, H, t);
  const dhPrev = tf.fused.matMul({ a: dzr, b: w.Uzr, transposeB: true, bias: direct }) as tf.Tensor2D;
  tf.dispose([drh, direct]);
  return { dzr, dah, dhPrev };
}

/** r ⊙ h_{t−1} for every step, [T·B, H]: P [T, B, 3H], A stacked [T·B, 2H], hPrev stacked [T·B, H]. */
export function rhAllSteps(P: tf.Tensor3D, A: tf.Tensor2D, hPrev: tf.Tensor2D, o: GateOptions): tf.Tensor2D {
  const [rows, H] = hPrev.shape;
  return runFused(RH_ALL, { P, A, Hp: hPrev }, [rows, H], o, H, 0);
}
