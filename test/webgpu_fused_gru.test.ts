/**
 * The fused GRU step on WebGPU (src/platform/webgpu/fused/gru.ts), both forms: whole sequences
 * against the float64 reference on the hard regime's GRU cases (test/hard_regime.test.ts), its
 * error ÷ tfjs autodiff's with a geometric mean ≤ 1.5 and a maximum ≤ 3, every gradient; a mask
 * keeps the state; masked sequences (a mask [T, B]) match tf.grads of the masked plain loop in every
 * gradient; and dispatches per step by tf.profile, with and without a mask: resetAfter 2 forward /
 * 4 backward, resetAfter false 2 / 5 (its candidate's product on r ⊙ h inside the kernel).
 */
import * as tf from '@tensorflow/tfjs';
import { autodiffGRU } from '../src/reference/autodiff';
import { gruReferenceBackward, gruReferenceForward } from '../src/reference/gru';
import { gruForwardStep } from '../src/platform/webgpu/fused/gru';
import { disposeGRUTape, fusedGRUBackward, fusedGRUForward } from '../src/platform/webgpu/fused/gru_loop';
import { expectLoopLikeAutodiff, seededArray, seededTensor } from './helpers';
import { errorRatio, summarize } from './hard_measure';
import { webgpuGate } from './webgpu_gate';

const { gpuTest } = webgpuGate(__filename);


describe.each([true, false])('fused GRU, resetAfter %s', (resetAfter) => {
  const o = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter } as const;

  gpuTest('hard regime: error ÷ autodiff geometric mean ≤ 1.5, max ≤ 3, every output; no tensor left', async () => {
    const ratios: number[] = [];
    const before = tf.memory().numTensors;
    for (const [k, xs] of [0.05, 1, 3].entries()) {
      const [B, T, D, H, seed] = [4, 50, 8, 64, 1 + k];
      const useBias = k !== 1;
      const biasShape = resetAfter ? [2, 3 * H] : [3 * H];
      const wv = [seededArray(D * 3 * H, seed * 10 + 1, -0.6, 0.6), seededArray(H * 3 * H, seed * 10 + 2, -0.6, 0.6), seededArray((resetAfter ? 6 : 3) * H, seed * 10 + 3, -0.3, 0.3)];
      const xv = seededArray(B * T * D, seed * 10 + 4, -xs, xs);
      const h0v = seededArray(B * H, seed * 10 + 5, xs < 0.1 ? 0 : -0.5, xs < 0.1 ? 0 : 0.5);
      const dSv = seededArray(B * T * H, seed * 10 + 7);
      const f64 = (a: Float32Array) => Float64Array.from(a);
      const w64 = { kernel: f64(wv[0]), recurrentKernel: f64(wv[1]), bias: useBias ? f64(wv[2]) : null, H, resetAfter };
      const ref = gruReferenceForward(f64(xv), { B, T, D }, w64, f64(h0v), o);
      const refG = gruReferenceBackward(f64(xv), { B, T, D }, w64, f64(h0v), { dSequence: f64(dSv) }, o);
      const refs = [ref.sequence, refG.kernel, refG.recurrentKernel, refG.input, refG.initialState, ...(useBias ? [refG.bias as Float64Array] : [])];

      const W = tf.tensor2d(wv[0], [D, 3 * H]);
      const U = tf.tensor2d(wv[1], [H, 3 * H]);
      const b = useBias ? tf.tensor(wv[2], biasShape) : null;
      const x = tf.tensor3d(xv, [B, T, D]);
      const h0 = tf.tensor2d(h0v, [B, H]);
      const dS = tf.tensor3d(dSv, [B, T, H]);
      const w = { W, U, b };
      const { sequence, tape } = fusedGRUForward(x, w, h0, o);
      const g = fusedGRUBackward(tape, w, dS, null, o);
      const ours = [sequence, g.kernel, g.recurrentKernel, g.input, g.initialState, ...(g.bias ? [g.bias] : [])];
      expect(ours.slice(1).map((t) => t.shape)).toEqual([[D, 3 * H], [H, 3 * H], [B, T, D], [B, H], ...(useBias ? [biasShape] : [])]);

      const vars = [x, h0, W, U, ...(b ? [b] : [])];
      const loss = (...a: tf.Tensor[]) => tf.sum(tf.mul(dS, autodiffGRU(a[0] as tf.Tensor3D, a[2] as tf.Tensor2D, a[3] as tf.Tensor2D, a[4] ?? null, a[1] as tf.Tensor2D, o).sequence)) as tf.Scalar;
      const autoSeq = tf.tidy(() => autodiffGRU(x, W, U, b, h0, o).sequence);
      const ag = tf.grads(loss)(vars);
      const auto = [autoSeq, ag[2], ag[3], ag[0], ag[1], ...(b ? [ag[4]] : [])];
      for (let i = 0; i < refs.length; i++) {
        const { ratio, autodiffError } = errorRatio(await ours[i].data(), await auto[i].data(), refs[i]);
        expect(autodiffError).toBeLessThan(1e-3); // not chaotic: the comparison means something
        ratios.push(ratio);
      }
      disposeGRUTape(tape);
      tf.dispose([...vars, dS, ...ours, autoSeq, ...ag]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const { geomean, max } = summarize(ratios);
    console.log(`fused GRU (resetAfter ${resetAfter}) on webgpu, hard regime: ours ÷ autodiff geomean ${geomean.toFixed(3)}, max ${max.toFixed(3)}`);
    expect(geomean).toBeLessThanOrEqual(1.5);
    expect(max).toBeLessThanOrEqual(3);
  });

  gpuTest('a sequence whose mask is 0 keeps its state', async () => {
    const [B, H] = [3, 4];
    const P = seededTensor([2, B, 3 * H], 1) as tf.Tensor3D;
    const U = seededTensor([H, 3 * H], 2) as tf.Tensor2D;
    const [Uzr, Uh] = tf.split(U, [2 * H, H], 1) as tf.Tensor2D[];
    const h = seededTensor([B, H], 3) as tf.Tensor2D;
    const mask = tf.tensor2d([[1, 1, 1], [0, 1, 0]]); // [T, B], read at t = 1
    const w = { U, recurrentBias: null, Uzr, Uh };
    const free = gruForwardStep(P, 1, h, w, o);
    const kept = gruForwardStep(P, 1, h, w, o, mask);
    const [hv, fv, kv] = await Promise.all([h.data(), free.h.data(), kept.h.data()]);
    for (let b = 0; b < B; b++) expect(Array.from(kv.slice(b * H, b * H + H))).toEqual(Array.from((b === 1 ? fv : hv).slice(b * H, b * H + H)));
    tf.dispose([P, U, Uzr, Uh, h, mask, free.h, kept.h, ...Object.values(free.saved), ...Object.values(kept.saved)]);
  });

  // H 100: the row-tiled kernels' partial last tile and lanes past the row's end.
  gpuTest.each([4, 100])('masked sequences, H %i: forward and every gradient equal tf.grads of the masked plain loop', async (H) => {
    const [B, T, D] = [3, 6, 2];
    const before = tf.memory().numTensors;
    const x = seededTensor([B, T, D], 41) as tf.Tensor3D;
    const W = seededTensor([D, 3 * H], 42, -0.5, 0.5) as tf.Tensor2D;
    const U = seededTensor([H, 3 * H], 43, -0.5, 0.5) as tf.Tensor2D;
    const b = seededTensor(resetAfter ? [2, 3 * H] : [3 * H], 44, -0.3, 0.3);
    const h0 = seededTensor([B, H], 45) as tf.Tensor2D;
    const dS = seededTensor([B, T, H], 46) as tf.Tensor3D;
    const dLast = seededTensor([B, H], 47) as tf.Tensor2D;
    // Sequence 0 full, 1 ends after 3 steps, 2 skips steps 1 and 4 (any pattern must work).
    const mask = tf.tensor2d([[1, 1, 1], [1, 1, 0], [1, 1, 1], [1, 0, 1], [1, 0, 0], [1, 0, 1]]); // [T, B]
    // The masked plain loop as a loss: Σ dS ⊙ sequence + dLast ⊙ h_T.
    const plain = (xx: tf.Tensor3D, WW: tf.Tensor2D, UU: tf.Tensor2D, bb: tf.Tensor, hh: tf.Tensor2D): tf.Tensor => {
      const [bx, bh] = resetAfter ? tf.unstack(bb) : [bb, tf.zeros([3 * H])];
      const cols = (a: tf.Tensor, k: number) => tf.slice(a, [0, k * H], [-1, H]);
      let h: tf.Tensor = hh;
      let loss: tf.Tensor = tf.scalar(0);
      for (let t = 0; t < T; t++) {
        const p = tf.add(tf.matMul(tf.reshape(tf.slice(xx, [0, t, 0], [B, 1, D]), [B, D]), WW), bx);
        const R = tf.add(tf.matMul(h as tf.Tensor2D, UU), bh);
        const z = tf.sigmoid(tf.add(cols(p, 0), cols(R, 0)));
        const r = tf.sigmoid(tf.add(cols(p, 1), cols(R, 1)));
        const Rh = resetAfter ? tf.mul(r, cols(R, 2)) : tf.matMul(tf.mul(r, h), tf.slice(UU, [0, 2 * H], [H, H]));
        const hc = tf.tanh(tf.add(cols(p, 2), Rh));
        const m = tf.reshape(tf.slice(mask, [t, 0], [1, B]), [B, 1]);
        const hn = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hc));
        h = tf.add(tf.mul(m, hn), tf.mul(tf.sub(1, m), h));
        loss = tf.add(loss, tf.sum(tf.mul(h, tf.reshape(tf.slice(dS, [0, t, 0], [B, 1, H]), [B, H]))));
      }
      return tf.add(loss, tf.sum(tf.mul(h, dLast)));
    };
    const w = { W, U, b };
    const { sequence, tape } = fusedGRUForward(x, w, h0, o, mask);
    const g = fusedGRUBackward(tape, w, dS, dLast, o);
    const got = tf.tidy(() => tf.add(tf.sum(tf.mul(sequence, dS)), tf.sum(tf.mul(tape.h[T], dLast))));
    const want = tf.tidy(() => plain(x, W, U, b, h0));
    const auto = tf.grads((...a: tf.Tensor[]) => plain(a[0] as tf.Tensor3D, a[1] as tf.Tensor2D, a[2] as tf.Tensor2D, a[3], a[4] as tf.Tensor2D) as tf.Scalar)([x, W, U, b, h0]);
    await expectLoopLikeAutodiff(g, got, want, auto);
    // A sequence past its end keeps its last state: sequence 1 from step 3 on.
    const seq = (await sequence.array()) as number[][][];
    for (let t = 3; t < T; t++) expect(seq[1][t]).toEqual(seq[1][2]);
    disposeGRUTape(tape);
    tf.dispose([x, W, U, b, h0, dS, dLast, mask, sequence, got, want, ...auto, g.input, g.kernel, g.recurrentKernel, g.bias!, g.initialState]);
    expect(tf.memory().numTensors).toBe(before);
  });

  gpuTest(`dispatches per step (tf.profile, launching kernels only), with and without a mask: ${resetAfter ? '2 / 4' : '2 / 5'}`, async () => {
    const { benchFused } = await import('../benchmarks/fused');
    const before = tf.memory().numTensors;
    for (const masked of [false, true]) {
      const [f, t] = await benchFused(resetAfter ? 'gru-after' : 'gru', { name: 'tiny', B: 2, T: 10, D: 3, H: 4 }, 1, 1, masked);
      console.log(`fused GRU (resetAfter ${resetAfter}${masked ? ', masked' : ''}) launches per step: forward ${JSON.stringify(f.kernels?.byName)}; train ${JSON.stringify(t.kernels?.byName)}`);
      expect(f.kernelsPerStepForward).toBe(2);
      expect(t.kernelsPerStepBackward).toBe(resetAfter ? 4 : 5);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
