/**
 * The three arrangements of the loops (host batch-major for cpu, host time-major for wasm, device
 * time-major for GPU backends) compute the same thing: each one, forced on the backends under
 * test, agrees with tf.layers.simpleRNN and with autodiff. This keeps the GPU arrangement proven
 * even on machines without a GPU backend; a tape made in one arrangement is usable from another.
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import { autodiffSimpleRNN } from '../src/testing';
import { forceArrangement, ArrangementName } from '../src/scan/arrangements';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

const NAMES: ArrangementName[] = ['host-batch-major', 'host-time-major', 'device-time-major'];
afterEach(() => forceArrangement(null));

describe.each(backendsUnderTest())('arrangements on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  // The host arrangements read tensors synchronously: only backends with host memory can run them.
  const names = NAMES.filter((n) => backendName === 'cpu' || backendName === 'wasm' || n.startsWith('device'));
  test.each(names)('%s: forward equals tf.layers, BPTT equals autodiff', async (name) => {
    forceArrangement(name);
    await expectNoLeak(async () => {
      const [B, T, D, H] = [3, 11, 4, 6];
      for (const activation of ['tanh', 'relu', 'linear'] as const) {
        const cell = new SimpleRNN({ inputDim: D, units: H, activation, seed: 51 });
        tf.tidy(() => cell.bias!.assign(seededTensor([H], 52, -0.3, 0.3) as tf.Tensor1D));
        const x = seededTensor([B, T, D], 53, -0.5, 0.5) as tf.Tensor3D;
        const h0 = seededTensor([B, H], 54, -0.5, 0.5) as tf.Tensor2D;
        const dSeq = seededTensor([B, T, H], 55) as tf.Tensor3D;
        const dLast = seededTensor([B, H], 56) as tf.Tensor2D;
        const { sequence, last, tape } = cell.forward(x, h0);
        const g = cell.backward(tape, { dSequence: dSeq, dLast }, { returnStateGradients: true });
        const ref = tf.tidy(() => autodiffSimpleRNN(x, cell.kernel, cell.recurrentKernel, cell.bias, h0, activation));
        expect(await tensorRelErr(sequence, ref.sequence)).toBeLessThanOrEqual(1e-5);
        expect(await tensorRelErr(last, ref.last)).toBeLessThanOrEqual(1e-5);
        const loss = (xx: tf.Tensor, k: tf.Tensor, u: tf.Tensor, b: tf.Tensor, hh: tf.Tensor) => {
          const o = autodiffSimpleRNN(xx as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, b as tf.Tensor1D, hh as tf.Tensor2D, activation);
          return tf.add(tf.sum(tf.mul(dSeq, o.sequence)), tf.sum(tf.mul(dLast, o.last))) as tf.Scalar;
        };
        const auto = tf.grads(loss)([x, cell.kernel, cell.recurrentKernel, cell.bias!, h0]);
        const ours = [g.input, g.kernel, g.recurrentKernel, g.bias!, g.initialState];
        for (let i = 0; i < ours.length; i++) expect(await tensorRelErr(ours[i], auto[i])).toBeLessThanOrEqual(1e-5);
        // ∂L/∂h_t: at the last step it is dLast + dSequence_T.
        const dhLast = tf.tidy(() => tf.squeeze(tf.slice(g.state!, [0, T - 1, 0], [B, 1, H]), [1]));
        const expected = tf.tidy(() => tf.add(dLast, tf.squeeze(tf.slice(dSeq, [0, T - 1, 0], [B, 1, H]), [1])));
        expect(await tensorRelErr(dhLast, expected)).toBeLessThanOrEqual(1e-6);
        tf.dispose([x, h0, dSeq, dLast, sequence, last, ref.sequence, ref.last, ...auto, ...ours, g.state!, dhLast, expected]);
        tape.dispose();
        cell.dispose();
      }
    });
  });

  // Switching arrangements mid-tape goes through the host arrangements (see above).
  if (backendName === 'cpu' || backendName === 'wasm') {
    test('a tape recorded in one arrangement is differentiated in another', async () => {
      const cell = new SimpleRNN({ inputDim: 3, units: 4, seed: 61 });
      const x = seededTensor([2, 5, 3], 62);
      const dSeq = seededTensor([2, 5, 4], 63);
      const results: tf.Tensor[][] = [];
      for (const [fwd, bwd] of [['host-batch-major', 'device-time-major'], ['device-time-major', 'host-batch-major'], ['host-time-major', 'host-time-major']] as const) {
        forceArrangement(fwd);
        const o = cell.forward(x);
        forceArrangement(bwd);
        const g = cell.backward(o.tape, { dSequence: dSeq });
        results.push([g.kernel, g.recurrentKernel, g.bias!, g.input, g.initialState]);
        o.tape.dispose();
        tf.dispose([o.sequence, o.last]);
      }
      for (const r of results.slice(1)) {
        for (let i = 0; i < r.length; i++) expect(await tensorRelErr(r[i], results[0][i])).toBeLessThanOrEqual(1e-6);
      }
      tf.dispose([x, dSeq, ...results.flat()]);
      cell.dispose();
    });
  }
});
