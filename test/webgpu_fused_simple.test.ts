/**
 * The fused SimpleRNN step on WebGPU (src/platform/webgpu/fused/simple_rnn.ts): whole sequences
 * against the float64 reference on the hard regime's SimpleRNN cases (test/hard_regime.test.ts:
 * tanh at T 30–50, H 32–64, small to saturating inputs, with and without bias; relu near the edge of
 * stability), its error ÷ tfjs autodiff's with a geometric mean ≤ 1.5 and a maximum ≤ 3, every
 * gradient; a mask keeps the state; masked sequences (a mask [T, B]) match tf.grads of the masked
 * plain loop in every gradient; dispatches per step by tf.profile: 2 forward, 2 backward (3 with a
 * mask).
 */
import * as tf from '@tensorflow/tfjs';
import { autodiffSimpleRNN } from '../src/reference/autodiff';
import { referenceBackward, referenceForward } from '../src/reference/simple_rnn';
import { fusedSimpleRNNBackward, fusedSimpleRNNForward, simpleRNNForwardStep } from '../src/platform/webgpu/fused/simple_rnn';
import { expectLoopLikeAutodiff, seededArray, seededTensor } from './helpers';
import { errorRatio, summarize } from './hard_measure';
import { webgpuGate } from './webgpu_gate';

const { gpuTest } = webgpuGate(__filename);


const CASES: Array<{ H: number; T: number; x: number; activation: 'tanh' | 'relu'; seed: number }> = [
  ...([[32, 30, 0.05], [32, 50, 1], [32, 50, 3], [48, 30, 1], [64, 30, 3], [64, 50, 3]] as const).map(([H, T, x], k) => ({ H, T, x, activation: 'tanh' as const, seed: 1 + k })),
  { H: 64, T: 50, x: 1, activation: 'relu', seed: 20 },
];

gpuTest('hard regime: error ÷ autodiff geometric mean ≤ 1.5, max ≤ 3, every output; no tensor left', async () => {
  const ratios: number[] = [];
  const before = tf.memory().numTensors;
  for (const c of CASES) {
    for (const useBias of [true, false]) {
      const [B, D, H, T, seed] = [8, 16, c.H, c.T, c.seed];
      const o = { activation: c.activation };
      const u = c.activation === 'relu' ? 1.2 / Math.sqrt(H / 3) : 0.6;
      const wv = [seededArray(D * H, seed * 10 + 1, -0.6, 0.6), seededArray(H * H, seed * 10 + 2, -u, u), seededArray(H, seed * 10 + 3, -0.3, 0.3)];
      const xv = seededArray(B * T * D, seed * 10 + 4, -c.x, c.x);
      const h0v = seededArray(B * H, seed * 10 + 5, c.x < 0.1 ? 0 : -0.5, c.x < 0.1 ? 0 : 0.5);
      const dSv = seededArray(B * T * H, seed * 10 + 7);
      const f64 = (a: Float32Array) => Float64Array.from(a);
      const w64 = { kernel: f64(wv[0]), recurrentKernel: f64(wv[1]), bias: useBias ? f64(wv[2]) : null, H };
      const ref = referenceForward(f64(xv), { B, T, D }, w64, f64(h0v), c.activation);
      const refG = referenceBackward(f64(xv), { B, T, D }, w64, f64(h0v), c.activation, { dSequence: f64(dSv) });
      const refs = [ref.sequence, refG.kernel, refG.recurrentKernel, refG.input, refG.initialState, ...(useBias ? [refG.bias as Float64Array] : [])];

      const W = tf.tensor2d(wv[0], [D, H]);
      const U = tf.tensor2d(wv[1], [H, H]);
      const b = useBias ? tf.tensor1d(wv[2]) : null;
      const x = tf.tensor3d(xv, [B, T, D]);
      const h0 = tf.tensor2d(h0v, [B, H]);
      const dS = tf.tensor3d(dSv, [B, T, H]);
      const w = { W, U, b };
      const { sequence, states } = fusedSimpleRNNForward(x, w, h0, o);
      const g = fusedSimpleRNNBackward(x, states, w, dS, null, o);
      const ours = [sequence, g.kernel, g.recurrentKernel, g.input, g.initialState, ...(g.bias ? [g.bias] : [])];

      const vars = [x, h0, W, U, ...(b ? [b] : [])];
      const loss = (...a: tf.Tensor[]) => tf.sum(tf.mul(dS, autodiffSimpleRNN(a[0] as tf.Tensor3D, a[2] as tf.Tensor2D, a[3] as tf.Tensor2D, (a[4] ?? null) as tf.Tensor1D | null, a[1] as tf.Tensor2D, c.activation).sequence)) as tf.Scalar;
      const autoSeq = tf.tidy(() => autodiffSimpleRNN(x, W, U, b, h0, c.activation).sequence);
      const ag = tf.grads(loss)(vars);
      const auto = [autoSeq, ag[2], ag[3], ag[0], ag[1], ...(b ? [ag[4]] : [])];
      for (let i = 0; i < refs.length; i++) {
        const { ratio, autodiffError } = errorRatio(await ours[i].data(), await auto[i].data(), refs[i]);
        expect(autodiffError).toBeLessThan(1e-3); // not chaotic: the comparison means something
        ratios.push(ratio);
      }
      tf.dispose([...vars, dS, ...ours, ...states.slice(1), autoSeq, ...ag]);
    }
  }
  expect(tf.memory().numTensors).toBe(before);
  const { geomean, max } = summarize(ratios);
  console.log(`fused SimpleRNN on webgpu, hard regime: ours ÷ autodiff geomean ${geomean.toFixed(2)}, max ${max.toFixed(2)}`);
  expect(geomean).toBeLessThanOrEqual(1.5);
  expect(max).toBeLessThanOrEqual(3);
});

gpuTest('a sequence whose mask is 0 keeps its state', async () => {
  const [B, H] = [3, 4];
  const P = seededTensor([2, B, H], 1) as tf.Tensor3D;
  const w = { W: seededTensor([2, H], 9) as tf.Tensor2D, U: seededTensor([H, H], 2) as tf.Tensor2D, b: seededTensor([H], 4) as tf.Tensor1D };
  const h = seededTensor([B, H], 3) as tf.Tensor2D;
  const mask = tf.tensor2d([[0, 1, 1], [1, 0, 0]]); // [T, B], read at t = 1
  const free = simpleRNNForwardStep(P, 1, h, w, { activation: 'tanh' });
  const kept = simpleRNNForwardStep(P, 1, h, w, { activation: 'tanh' }, mask);
  const [hv, fv, kv] = await Promise.all([h.data(), free.data(), kept.data()]);
  for (let b = 0; b < B; b++) expect(Array.from(kv.slice(b * H, b * H + H))).toEqual(Array.from((b === 0 ? fv : hv).slice(b * H, b * H + H)));
  tf.dispose([P, w.W, w.U, w.b, h, mask, free, kept]);
});

gpuTest.each(['tanh', 'relu'] as const)('masked sequences (%s): forward and every gradient equal tf.grads of the masked plain loop', async (activation) => {
  const [B, T, D, H] = [3, 6, 2, 4];
  const before = tf.memory().numTensors;
  const x = seededTensor([B, T, D], 51) as tf.Tensor3D;
  const W = seededTensor([D, H], 52, -0.5, 0.5) as tf.Tensor2D;
  const U = seededTensor([H, H], 53, -0.5, 0.5) as tf.Tensor2D;
  const b = seededTensor([H], 54, -0.3, 0.3) as tf.Tensor1D;
  const h0 = seededTensor([B, H], 55) as tf.Tensor2D;
  const dS = seededTensor([B, T, H], 56) as tf.Tensor3D;
  const dLast = seededTensor([B, H], 57) as tf.Tensor2D;
  // Sequence 0 full, 1 ends after 3 steps, 2 skips steps 1 and 4 (any pattern must work).
  const mask = tf.tensor2d([[1, 1, 1], [1, 1, 0], [1, 1, 1], [1, 0, 1], [1, 0, 0], [1, 0, 1]]); // [T, B]
  // The masked plain loop as a loss: Σ dS ⊙ sequence + dLast ⊙ h_T.
  const plain = (xx: tf.Tensor3D, WW: tf.Tensor2D, UU: tf.Tensor2D, bb: tf.Tensor1D, hh: tf.Tensor2D): tf.Tensor => {
    let h: tf.Tensor = hh;
    let loss: tf.Tensor = tf.scalar(0);
    for (let t = 0; t < T; t++) {
      const a = tf.add(tf.add(tf.matMul(tf.reshape(tf.slice(xx, [0, t, 0], [B, 1, D]), [B, D]), WW), tf.matMul(h as tf.Tensor2D, UU)), bb);
      const hn = activation === 'tanh' ? tf.tanh(a) : tf.relu(a);
      const m = tf.reshape(tf.slice(mask, [t, 0], [1, B]), [B, 1]);
      h = tf.add(tf.mul(m, hn), tf.mul(tf.sub(1, m), h));
      loss = tf.add(loss, tf.sum(tf.mul(h, tf.reshape(tf.slice(dS, [0, t, 0], [B, 1, H]), [B, H]))));
    }
    return tf.add(loss, tf.sum(tf.mul(h, dLast)));
  };
  const w = { W, U, b };
  const { sequence, states } = fusedSimpleRNNForward(x, w, h0, { activation }, mask);
  const g = fusedSimpleRNNBackward(x, states, w, dS, dLast, { activation }, mask);
  const got = tf.tidy(() => tf.add(tf.sum(tf.mul(sequence, dS)), tf.sum(tf.mul(states[T], dLast))));
  const want = tf.tidy(() => plain(x, W, U, b, h0));
  const auto = tf.grads((...a: tf.Tensor[]) => plain(a[0] as tf.Tensor3D, a[1] as tf.Tensor2D, a[2] as tf.Tensor2D, a[3] as tf.Tensor1D, a[4] as tf.Tensor2D) as tf.Scalar)([x, W, U, b, h0]);
  await expectLoopLikeAutodiff(g, got, want, auto);
  const seq = (await sequence.array()) as number[][][];
  for (let t = 3; t < T; t++) expect(seq[1][t]).toEqual(seq[1][2]); // sequence 1 keeps its last state
  tf.dispose([x, W, U, b, h0, dS, dLast, mask, sequence, ...states.slice(1), got, want, ...auto, g.input, g.kernel, g.recurrentKernel, g.bias!, g.initialState]);
  expect(tf.memory().numTensors).toBe(before);
});

gpuTest('dispatches per step (tf.profile, launching kernels only): 2 forward, 2 backward; with a mask 2 / 3', async () => {
  const { benchFused } = await import('../benchmarks/fused');
  const before = tf.memory().numTensors;
  for (const masked of [false, true]) {
    const [f, t] = await benchFused('simple', { name: 'tiny', B: 2, T: 10, D: 3, H: 4 }, 1, 1, masked);
    console.log(`fused SimpleRNN${masked ? ' (masked)' : ''} launches per step: forward ${JSON.stringify(f.kernels?.byName)}; train ${JSON.stringify(t.kernels?.byName)}`);
    expect(f.kernelsPerStepForward).toBe(2);
    expect(t.kernelsPerStepBackward).toBe(masked ? 3 : 2);
  }
  expect(tf.memory().numTensors).toBe(before);
});
