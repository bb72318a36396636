/**
 * The differentiable entry points (tf.customGrad): their gradient under tf.grads /
 * tf.variableGrads IS the manual BPTT (bit-for-bit equal to cell.backward), agrees with autodiff,
 * and an optimizer can train through them.
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import { simpleRNNSequence, simpleRNNLast } from '../src/cells/simple_rnn';
import { autodiffSimpleRNN } from '../src/testing';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

/** Cleanups that run after the current test, passed or failed. */
const cleanups: Array<() => void> = [];
const afterThisTest = (f: () => void) => cleanups.push(f);
afterEach(() => cleanups.splice(0).forEach((f) => f()));

describe.each(backendsUnderTest())('customGrad entry points on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  test.each([true, false])('simpleRNNSequence / simpleRNNLast gradients equal cell.backward exactly (h0 given: %s)', async (withH0) => {
    // Bit for bit on the step loop that cell.backward runs: on webgpu the entry points would run the
    // fused kernels (test/webgpu_fused_layers.test.ts compares those with the step loop, ≤ 1e-5).
    tf.env().set('TFJS_RNN_FUSED', false);
    afterThisTest(() => tf.env().set('TFJS_RNN_FUSED', true));
    await expectNoLeak(async () => {
      const [B, T, D, H] = [3, 6, 4, 5];
      const cell = new SimpleRNN({ inputDim: D, units: H, seed: 21 });
      tf.tidy(() => cell.bias!.assign(seededTensor([H], 22, -0.2, 0.2) as tf.Tensor1D));
      const x = seededTensor([B, T, D], 23) as tf.Tensor3D;
      const h0 = withH0 ? (seededTensor([B, H], 24) as tf.Tensor2D) : null;
      const dSeq = seededTensor([B, T, H], 25) as tf.Tensor3D;
      const dLast = seededTensor([B, H], 26) as tf.Tensor2D;

      const { sequence, last, tape } = cell.forward(x, h0);
      const manualSeq = cell.backward(tape, { dSequence: dSeq });
      const manualLast = cell.backward(tape, { dLast });

      const params = [x, cell.kernel, cell.recurrentKernel, cell.bias!, ...(h0 ? [h0] : [])];
      const fSeq = (...a: tf.Tensor[]) =>
        tf.sum(tf.mul(dSeq, simpleRNNSequence(a[0] as tf.Tensor3D, a[1] as tf.Tensor2D, a[2] as tf.Tensor2D, a[3] as tf.Tensor1D, (a[4] ?? null) as tf.Tensor2D | null))) as tf.Scalar;
      const fLast = (...a: tf.Tensor[]) =>
        tf.sum(tf.mul(dLast, simpleRNNLast(a[0] as tf.Tensor3D, a[1] as tf.Tensor2D, a[2] as tf.Tensor2D, a[3] as tf.Tensor1D, (a[4] ?? null) as tf.Tensor2D | null))) as tf.Scalar;
      const gSeq = tf.grads(fSeq)(params);
      const gLast = tf.grads(fLast)(params);
      for (const [g, m] of [[gSeq, manualSeq], [gLast, manualLast]] as const) {
        expect(await tensorRelErr(g[0], m.input)).toBe(0);
        expect(await tensorRelErr(g[1], m.kernel)).toBe(0);
        expect(await tensorRelErr(g[2], m.recurrentKernel)).toBe(0);
        expect(await tensorRelErr(g[3], m.bias!)).toBe(0);
        if (withH0) expect(await tensorRelErr(g[4], m.initialState)).toBe(0);
      }
      // Forward values equal the cell's.
      const seqValue = simpleRNNSequence(x, cell.kernel, cell.recurrentKernel, cell.bias, h0);
      const lastValue = simpleRNNLast(x, cell.kernel, cell.recurrentKernel, cell.bias, h0);
      expect(await tensorRelErr(seqValue, sequence)).toBe(0);
      expect(await tensorRelErr(lastValue, last)).toBe(0);

      tf.dispose([x, dSeq, dLast, sequence, last, seqValue, lastValue, ...gSeq, ...gLast]);
      for (const m of [manualSeq, manualLast]) tf.dispose([m.input, m.kernel, m.recurrentKernel, m.bias!, m.initialState]);
      if (h0) h0.dispose();
      tape.dispose();
      cell.dispose();
    });
  });

  test('tf.variableGrads through cell.apply agrees with autodiff over a whole model (RNN → dense head)', async () => {
    await expectNoLeak(async () => {
      const [B, T, D, H] = [4, 9, 3, 6];
      const cell = new SimpleRNN({ inputDim: D, units: H, seed: 31 });
      const headW = tf.tidy(() => tf.variable(seededTensor([H, 1], 32), true, 'head_w'));
      const x = seededTensor([B, T, D], 33) as tf.Tensor3D;
      const y = seededTensor([B, 1], 34);
      const ours = tf.variableGrads(() => tf.losses.meanSquaredError(y, tf.matMul(cell.apply(x) as tf.Tensor2D, headW)) as tf.Scalar);
      const auto = tf.variableGrads(() => {
        const h0 = tf.zeros([B, H]) as tf.Tensor2D;
        const { last } = autodiffSimpleRNN(x, cell.kernel, cell.recurrentKernel, cell.bias, h0, 'tanh');
        return tf.losses.meanSquaredError(y, tf.matMul(last, headW)) as tf.Scalar;
      });
      expect(Math.abs((await ours.value.data())[0] - (await auto.value.data())[0])).toBeLessThan(1e-6);
      for (const name of Object.keys(auto.grads)) {
        expect(ours.grads[name]).toBeDefined();
        expect(await tensorRelErr(ours.grads[name], auto.grads[name])).toBeLessThanOrEqual(1e-5);
      }
      tf.dispose([ours.value, auto.value, ...Object.values(ours.grads), ...Object.values(auto.grads), x, y, headW]);
      cell.dispose();
    });
  });

  test('an optimizer trains through cell.apply (loss falls) without leaking', async () => {
    const [B, T, D, H] = [8, 5, 2, 8];
    const cell = new SimpleRNN({ inputDim: D, units: H, seed: 41 });
    const headW = tf.tidy(() => tf.variable(seededTensor([H, 1], 42, -0.1, 0.1), true, 'head_w2'));
    const x = seededTensor([B, T, D], 43) as tf.Tensor3D;
    const y = tf.tidy(() => tf.sum(x, [1, 2]).reshape([B, 1]).mul(0.2));
    const opt = tf.train.adam(0.05);
    const lossFn = () => tf.losses.meanSquaredError(y, tf.matMul(cell.apply(x) as tf.Tensor2D, headW)) as tf.Scalar;
    const lossOf = async (): Promise<number> => {
      const l = lossFn();
      const v = (await l.data())[0];
      l.dispose();
      return v;
    };
    const first = await lossOf();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 60; i++) tf.tidy(() => { opt.minimize(lossFn); });
    const afterSteps = tf.memory().numTensors;
    const last = await lossOf();
    expect(last).toBeLessThan(first / 4);
    // Adam creates its slot variables on the first step only.
    expect(afterSteps - before).toBeLessThanOrEqual(2 * 4);
    tf.dispose([x, y, headW]);
    opt.dispose();
    cell.dispose();
  });
});
