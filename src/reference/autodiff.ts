/**
 * Plain tfjs loops of the three cells, written the textbook way (per step: slice x_t, matMul,
 * activation), for tfjs autodiff to differentiate. They are what our manual BPTT is compared with:
 * in the proofs (tf.grads of these = our backward), in the hard-regime exactness bound (our error
 * against a float64 reference, divided by theirs) and in the benchmarks (the "autodiff" rows).
 * Nothing here is fast or clever on purpose.
 *
 * Shapes: x [B, T, D] (batch-major), h0 and c0 [B, H]; Keras weight layout and gate order
 * (LSTM i, f, c, o; GRU z, r, h). Equations in src/cells/simple_rnn.ts, lstm.ts and gru.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { activate, Activation, RecurrentActivation } from '../cells/activations';

export interface AutodiffGatedOptions {
  /** Default 'tanh'. */
  activation?: Activation;
  /** Default 'sigmoid'. */
  recurrentActivation?: RecurrentActivation;
  /** Recurrent dropout as Keras applies it: h_{t−1} ⊙ m inside the recurrent products only. [B, H]. */
  recurrentMask?: tf.Tensor2D;
}

/** x_t for every t, as [B, D] slices (tf.unstack would do, but its gradient breaks for T = 1). */
function timeSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, D] = x.shape;
  return Array.from({ length: T }, (_, t) => tf.reshape(tf.slice(x, [0, t, 0], [B, 1, D]), [B, D]) as tf.Tensor2D);
}

/** Column block k (of width H) of a [·, G·H] matrix or [G·H] vector. */
function block(m: tf.Tensor, k: number, H: number): tf.Tensor {
  return m.rank === 1 ? tf.slice(m, [k * H], [H]) : tf.slice(m, [0, k * H], [m.shape[0], H]);
}

/** h_t = act(x_t·W + h_{t−1}·U + b). Returns sequence [B, T, H] and last [B, H]. */
export function autodiffSimpleRNN(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D, // [D, H]
  recurrentKernel: tf.Tensor2D, // [H, H]
  bias: tf.Tensor1D | null, // [H]
  h0: tf.Tensor2D, // [B, H]
  activation: Activation = 'tanh',
): { sequence: tf.Tensor3D; last: tf.Tensor2D } {
  let h = h0;
  const hs: tf.Tensor2D[] = [];
  for (const xt of timeSteps(x)) {
    let a = tf.add(tf.matMul(xt, kernel), tf.matMul(h, recurrentKernel)); // [B, H]
    if (bias !== null) a = tf.add(a, bias);
    h = activate(activation, a) as tf.Tensor2D;
    hs.push(h);
  }
  return { sequence: tf.stack(hs, 1) as tf.Tensor3D, last: h };
}

/**
 * i, f, o = rec(·), c̃ = act(·), c_t = f⊙c_{t−1} + i⊙c̃, h_t = o⊙act(c_t).
 * Returns sequence [B, T, H], last [B, H] and lastCell [B, H].
 */
export function autodiffLSTM(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D, // [D, 4H]
  recurrentKernel: tf.Tensor2D, // [H, 4H]
  bias: tf.Tensor1D | null, // [4H]
  h0: tf.Tensor2D, // [B, H]
  c0: tf.Tensor2D, // [B, H]
  options: AutodiffGatedOptions = {},
): { sequence: tf.Tensor3D; last: tf.Tensor2D; lastCell: tf.Tensor2D } {
  const act = options.activation ?? 'tanh';
  const rec = options.recurrentActivation ?? 'sigmoid';
  const H = recurrentKernel.shape[0];
  let h = h0;
  let c = c0;
  const hs: tf.Tensor2D[] = [];
  for (const xt of timeSteps(x)) {
    const hm = options.recurrentMask === undefined ? h : tf.mul(h, options.recurrentMask);
    let z = tf.add(tf.matMul(xt, kernel), tf.matMul(hm, recurrentKernel)); // [B, 4H]
    if (bias !== null) z = tf.add(z, bias);
    const i = activate(rec, block(z, 0, H));
    const f = activate(rec, block(z, 1, H));
    const g = activate(act, block(z, 2, H));
    const o = activate(rec, block(z, 3, H));
    c = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D; // [B, H]
    h = tf.mul(o, activate(act, c)) as tf.Tensor2D; // [B, H]
    hs.push(h);
  }
  return { sequence: tf.stack(hs, 1) as tf.Tensor3D, last: h, lastCell: c };
}

/**
 * z, r = rec(·); resetAfter: h̃ = act(x_t·W_h + b_h + r⊙(h·U_h + b'_h)), else
 * h̃ = act(x_t·W_h + (r⊙h)·U_h + b_h); h_t = z⊙h_{t−1} + (1 − z)⊙h̃.
 * bias is [2, 3H] (input row, recurrent row) when resetAfter, else [3H]; or null.
 */
export function autodiffGRU(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D, // [D, 3H]
  recurrentKernel: tf.Tensor2D, // [H, 3H]
  bias: tf.Tensor | null, // [2, 3H] or [3H]
  h0: tf.Tensor2D, // [B, H]
  options: AutodiffGatedOptions & { resetAfter?: boolean } = {},
): { sequence: tf.Tensor3D; last: tf.Tensor2D } {
  const act = options.activation ?? 'tanh';
  const rec = options.recurrentActivation ?? 'sigmoid';
  const resetAfter = options.resetAfter ?? true;
  const H = recurrentKernel.shape[0];
  const bx = bias === null ? null : resetAfter ? tf.reshape(tf.slice(bias, [0, 0], [1, 3 * H]), [3 * H]) : bias; // [3H]
  const bh = bias === null || !resetAfter ? null : tf.reshape(tf.slice(bias, [1, 0], [1, 3 * H]), [3 * H]); // [3H]
  const Uzr = tf.slice(recurrentKernel, [0, 0], [H, 2 * H]); // [H, 2H]
  const Uh = block(recurrentKernel, 2, H); // [H, H]
  let h = h0;
  const hs: tf.Tensor2D[] = [];
  for (const xt of timeSteps(x)) {
    let p = tf.matMul(xt, kernel); // [B, 3H]
    if (bx !== null) p = tf.add(p, bx);
    const hm = options.recurrentMask === undefined ? h : tf.mul(h, options.recurrentMask); // h_{t-1} in the recurrent products
    let rzr = tf.matMul(hm, Uzr); // [B, 2H]
    if (bh !== null) rzr = tf.add(rzr, tf.slice(bh, [0], [2 * H]));
    const z = activate(rec, tf.add(block(p, 0, H), block(rzr, 0, H)));
    const r = activate(rec, tf.add(block(p, 1, H), block(rzr, 1, H)));
    let candidate: tf.Tensor;
    if (resetAfter) {
      let rh = tf.matMul(hm, Uh); // [B, H]
      if (bh !== null) rh = tf.add(rh, block(bh, 2, H));
      candidate = activate(act, tf.add(block(p, 2, H), tf.mul(r, rh)));
    } else {
      candidate = activate(act, tf.add(block(p, 2, H), tf.matMul(tf.mul(r, hm), Uh)));
    }
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate)) as tf.Tensor2D; // [B, H]
    hs.push(h);
  }
  return { sequence: tf.stack(hs, 1) as tf.Tensor3D, last: h };
}
