/**
 * The LSTM step's gate math as one wasm SIMD kernel (src/platform/backend/wasm_lstm_step.ts):
 * the committed module is the assembled lstm_step.wat; σ and hardSigmoid equal tfjs-wasm's to the
 * bit, tanh is within a few ulp of float64's (on average better than half an ulp); c_t and h_t equal
 * tfjs's own ops to rounding; the cells use it on wasm (and not with TFJS_RNN_FUSED off), with the
 * same outputs and gradients as the ops within 1e-6; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { layers } from '../src';
import { LSTM_STEP_KERNEL, wasmLstmStep, wasmTanh } from '../src/platform/backend/wasm_lstm_step';
import { LSTM_STEP_WASM } from '../src/platform/backend/lstm_step_wasm';
import { expectNoLeak, relErr, seededTensor, useBackend } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { assemble } = require('../scripts/build_wasm.js') as { assemble(): Promise<string> };

/** |a − b| in units in the last place of b (float32). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const f = new Float32Array([Math.abs(b)]);
  const i = new Int32Array(f.buffer);
  const v = f[0];
  i[0] += 1;
  return Math.abs(a - b) / (f[0] - v);
}

function withFused<T>(on: boolean, fn: () => T): T {
  tf.env().set('TFJS_RNN_FUSED', on);
  try {
    return fn();
  } finally {
    tf.env().set('TFJS_RNN_FUSED', true);
  }
}

beforeAll(async () => {
  await useBackend('wasm');
});

test('the committed module is lstm_step.wat assembled (node scripts/build_wasm.js)', async () => {
  expect(await assemble()).toBe(LSTM_STEP_WASM);
});

test('tanh: within 2.6 ulp of float64 tanh, 0.3 ulp on average, from 1e-30 to saturation; ±0, ±inf and NaN as tf.tanh', () => {
  const xs: number[] = [];
  for (let k = -69; k <= 3; k += 0.003) xs.push(Math.exp(k) * (Math.sin(k * 91) < 0 ? -1 : 1));
  for (let k = -9; k <= 9; k += 0.0003) xs.push(k);
  const x = tf.tensor1d(xs);
  const ours = wasmTanh(x);
  const xf = x.dataSync();
  let max = 0;
  let sum = 0;
  for (let k = 0; k < xf.length; k++) {
    const e = ulps(ours[k], Math.tanh(xf[k]));
    max = Math.max(max, e);
    sum += e;
  }
  console.log(`tanh: max ${max.toFixed(2)} ulp, mean ${(sum / xf.length).toFixed(3)} over ${xf.length}`);
  expect(max).toBeLessThan(2.6);
  expect(sum / xf.length).toBeLessThan(0.3);
  const special = tf.tensor1d([0, -0, Infinity, -Infinity, NaN, 1e-38, -1e-38]);
  const got = Array.from(wasmTanh(special));
  const want = Array.from(tf.tanh(special).dataSync());
  expect(got.map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(want.map((v) => Object.is(v, -0) ? '-0' : String(v)));
  tf.dispose([x, special]);
});

test.each([
  [3, 5, 'sigmoid', true],
  [32, 64, 'sigmoid', true],
  [4, 7, 'hardSigmoid', false],
  [2, 1, 'hardSigmoid', true],
  [5, 6, 'sigmoid', false],
] as const)('B %i H %i %s bias %s: gates to the bit, c_t and h_t to rounding, of tfjs-wasm ops; no leak', async (B, H, rec, useBias) => {
  await expectNoLeak(() => {
    const R = seededTensor([B, 4 * H], 1, -6, 6) as tf.Tensor2D;
    const P = seededTensor([B, 4 * H], 2, -6, 6) as tf.Tensor2D;
    const bias = useBias ? (seededTensor([4 * H], 3, -1, 1) as tf.Tensor1D) : null;
    const c = seededTensor([B, H], 4, -3, 3) as tf.Tensor2D;
    const got = wasmLstmStep(R, P, bias, c, rec);
    const want = tf.tidy(() => {
      let z = tf.add(R, P);
      if (bias !== null) z = tf.add(z, bias);
      const [zi, zf, zc, zo] = tf.split(z, 4, 1);
      const r = (a: tf.Tensor) => (rec === 'sigmoid' ? tf.sigmoid(a) : tf.clipByValue(tf.add(0.5, tf.mul(0.2, a)), 0, 1));
      const [i, f, g, o] = [r(zi), r(zf), tf.tanh(zc), r(zo)];
      const cn = tf.add(tf.mul(f, c), tf.mul(i, g));
      return [cn, tf.mul(o, tf.tanh(cn)), i, f, g, o];
    });
    const v = got.map((t) => t.dataSync());
    const w = want.map((t) => t.dataSync());
    for (const k of [2, 3, 5]) expect(Array.from(v[k])).toEqual(Array.from(w[k])); // i, f, o
    expect(relErr(v[4], w[4])).toBeLessThan(3e-7); // g: tanh
    expect(relErr(v[0], w[0])).toBeLessThan(1e-6); // c_t
    expect(relErr(v[1], w[1])).toBeLessThan(1e-6); // h_t
    tf.dispose([R, P, c, ...(bias === null ? [] : [bias]), ...got, ...want]);
  });
});

test('layers.lstm on wasm runs the kernel once per step (not with TFJS_RNN_FUSED off), same predictions and gradients as the ops', async () => {
  const [B, T, D, H] = [3, 6, 4, 9];
  const layer = layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, D] });
  const model = tf.sequential({ layers: [layer] });
  const x = seededTensor([B, T, D], 5);
  const run = async () => {
    const info = await tf.profile(() => {
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const g = tf.variableGrads(() => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar, vars);
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(model.apply(xx) as tf.Tensor)))(x);
      return [model.predict(x) as tf.Tensor, ...vars.map((v) => g.grads[v.name]), dx, g.value];
    });
    const out = info.result as tf.Tensor[];
    const values = out.map((t) => t.dataSync().slice());
    tf.dispose(out);
    return { values, steps: info.kernels.filter((k) => k.name === LSTM_STEP_KERNEL).length };
  };
  await expectNoLeak(async () => {
    const on = await run();
    const off = await withFused(false, () => run());
    expect(on.steps).toBe(3 * T); // predict, and the forward of each of the two gradients
    expect(off.steps).toBe(0);
    on.values.forEach((v, k) => expect(relErr(v, off.values[k])).toBeLessThan(1e-6));
  });
  x.dispose();
  model.dispose();
});
