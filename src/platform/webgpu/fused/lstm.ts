/**
 * Fused LSTM step on WebGPU (the math of src/cells/lstm.ts; gate order i, f, c, o):
 *
 *   forward   R = h_{t−1}·U (tfjs matMul)                                         1 dispatch
 *             c_t = f ⊙ c_{t−1} + i ⊙ act(z_c)                                    1 (lstmCell)
 *             h_t = o ⊙ act(c_t)                                                  1 (lstmHidden)
 *             z = P_t + R + b, read in both kernels from P [T, B, 4H] at step t (no Slice);
 *             with a mask m [B], a sequence whose m is 0 keeps c_{t−1} and h_{t−1}.
 *   backward  dh_t = dh through step t+1 + dSequence_t (read from [T, B, H] at step t)
 *             dc  = dc_t + dh_t ⊙ o ⊙ act'(c_t)
 *             dz  = [dc ⊙ c̃ ⊙ i', dc ⊙ c_{t−1} ⊙ f', dc ⊙ i ⊙ c̃', dh_t ⊙ act(c_t) ⊙ o']   1 (lstmGradZ)
 *             dc_{t−1} = dc ⊙ f                                                    1 (lstmGradCell)
 *             dh through step t = dz·Uᵀ (tfjs matMul)                             1
 *             with a mask m: dz and the cell's path are 0 where m is 0, and (1 − m) ⊙ dh_t   +1 (maskCarry)
 *             joins dz·Uᵀ as the matMul's addend
 * The gates are recomputed from z in each kernel: a few exp per element cost less than a dispatch
 * and a [B, 4H] tensor per step. Masks are [T, B] of 0/1, read at step t.
 */
import * as tf from '@tensorflow/tfjs';
import { FusedActivation, activationWgsl } from './activations_wgsl';
import { FusedKernelSpec, MASK_CARRY, masked, runFused } from './program';

export interface GateOptions {
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
}

const helpers = (o: GateOptions): string => activationWgsl('act', o.activation) + activationWgsl('rec', o.recurrentActivation);

/** Where row `row` of step t starts in P [T, B, 4H] and in R [B, 4H]. */
const Z_AT = (): string => `
  let G = 4 * H;
  let pBase = (t * uniforms.outShape[0] + row) * G;
  let rBase = row * G;
`;
const z = (k: number, present: ReadonlySet<string>): string =>
  `(P[pBase + ${k} * H + j] + R[rBase + ${k} * H + j])${present.has('Bias') ? ` + Bias[${k} * H + j]` : ''}`;

const CELL: FusedKernelSpec<GateOptions> = {
  name: 'TfjsRnnLstmCell',
  helpers,
  body: (_o, p) => `
    let j = col;
    ${Z_AT()}
    let i = rec(${z(0, p)});
    let f = rec(${z(1, p)});
    let g = act(${z(2, p)});
    let c = f * C[index] + i * g;
    result[index] = ${masked(p, 'C[index]', 'c')};`,
};

const HIDDEN: FusedKernelSpec<GateOptions> = {
  name: 'TfjsRnnLstmHidden',
  helpers,
  body: (_o, p) => `
    let j = col;
    ${Z_AT()}
    let o = rec(${z(3, p)});
    let h = o * act(Cn[index]);
    result[index] = ${masked(p, 'Hp[index]', 'h')};`,
};

/** The shared head of both backward kernels: the gates and dc at (row, j). */
const DC = (p: ReadonlySet<string>): string => `
    ${Z_AT()}
    let s = row * H + j;
    let i = rec(${z(0, p)});
    let f = rec(${z(1, p)});
    let g = act(${z(2, p)});
    let o = rec(${z(3, p)});
    let dh = DH[s]${p.has('DS') ? ' + DS[(t * uniforms.outShape[0] + row) * H + j]' : ''};
    let ac = act(Cn[s]);
    let dc = DC[s] + dh * o * actD(ac);`;

const GRAD_Z: FusedKernelSpec<GateOptions> = {
  name: 'TfjsRnnLstmGradZ',
  helpers,
  body: (_o, p) => `
    let k = col / H;
    let j = col - k * H;
    ${DC(p)}
    var dz = 0.0;
    switch k {
      case 0: { dz = dc * g * recD(i); }
      case 1: { dz = dc * Cp[s] * recD(f); }
      case 2: { dz = dc * i * actD(g); }
      default: { dz = dh * ac * recD(o); }
    }
    result[index] = ${masked(p, '0.0', 'dz')};`,
};

const GRAD_CELL: FusedKernelSpec<GateOptions> = {
  name: 'TfjsRnnLstmGradCell',
  helpers,
  body: (_o, p) => `
    let j = col;
    ${DC(p)}
    result[index] = ${masked(p, 'DC[s]', 'dc * f')};`,
};

export interface LSTMStepWeights {
  U: tf.Tensor2D; // [H, 4H]
  b: tf.Tensor1D | null; // [4H]
}

/**
 * One forward step: P [T, B, 4H] holds x·W for every step (time-major), t the step; h, c [B, H];
 * mask [T, B] of 0/1 (read at step t) or null. Returns h_t, c_t and R = h_{t−1}·U.
 */
export function lstmForwardStep(P: tf.Tensor3D, t: number, h: tf.Tensor2D, c: tf.Tensor2D, w: LSTMStepWeights, o: GateOptions, mask: tf.Tensor2D | null = null) {
  const [B, H] = h.shape;
  const R = tf.matMul(h, w.U) as tf.Tensor2D; // h_{t−1}·U  [B, 4H]
  const cNext = runFused(CELL, { P, R, Bias: w.b, C: c, M: mask }, [B, H], o, H, t); // c_t  [B, H]
  const hNext = runFused(HIDDEN, { P, R, Bias: w.b, Cn: cNext, Hp: mask === null ? null : h, M: mask }, [B, H], o, H, t); // h_t
  return { h: hNext, c: cNext, R };
}

/**
 * One backward step: dhRec = ∂L/∂h_t through step t+1 (dz_{t+1}·Uᵀ, or dLast), dS the upstream
 * [T, B, H] on the whole sequence (or null; read at step t, no Slice), dc = ∂L/∂c_t from step t+1;
 * with the forward's P, R_t, c_{t−1} and c_t, and its mask [T, B] or null. Returns dz [B, 4H],
 * dc_{t−1} [B, H] and ∂L/∂h_{t−1} through this step: dz·Uᵀ, plus (1 − m) ⊙ dh_t with a mask (one
 * more kernel, whose output the matMul adds).
 */
export function lstmBackwardStep(
  P: tf.Tensor3D, t: number, R: tf.Tensor2D, b: tf.Tensor1D | null, cPrev: tf.Tensor2D, c: tf.Tensor2D,
  dhRec: tf.Tensor2D, dS: tf.Tensor3D | null, dc: tf.Tensor2D, o: GateOptions, U: tf.Tensor2D, mask: tf.Tensor2D | null = null,
) {
  const [B, H] = c.shape;
  // Every input given must be read by the kernel: WebGPU drops unread bindings from the layout.
  const inputs = { P, R, Bias: b, Cn: c, DH: dhRec, DS: dS, DC: dc, M: mask };
  const dz = runFused(GRAD_Z, { ...inputs, Cp: cPrev }, [B, 4 * H], o, H, t); // [B, 4H]
  const dcPrev = runFused(GRAD_CELL, inputs, [B, H], o, H, t); // [B, H]
  if (mask === null) return { dz, dcPrev, dhPrev: tf.matMul(dz, U, false, true) as tf.Tensor2D };
  const carry = runFused(MASK_CARRY, { DH: dhRec, DS: dS, M: mask }, [B, H], {}, H, t); // (1 − m) ⊙ dh_t
  const dhPrev = tf.fused.matMul({ a: dz, b: U, transposeB: true, bias: carry }) as tf.Tensor2D;
  carry.dispose();
  return { dz, dcPrev, dhPrev };
}
