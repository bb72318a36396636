/**
 * Proof 2: the manual BPTT against tfjs autodiff (tf.grads) of a plain autodiff forward over the
 * same weights: every gradient (kernel, recurrent kernel, bias, input, h0) agrees to ≤ 1e-5
 * relative, for upstream on the sequence, on the last state and on both; on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN, Activation } from '../src';
import { autodiffSimpleRNN } from '../src/testing';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

const CASES = [
  { B: 1, T: 1, D: 2, H: 3 },
  { B: 3, T: 7, D: 4, H: 5 },
  { B: 8, T: 25, D: 10, H: 16 },
];
const UPSTREAMS = ['sequence', 'last', 'both'] as const;
let maxErr = 0;

describe.each(backendsUnderTest())('manual BPTT = tf.grads of autodiff on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  for (const activation of ['tanh', 'relu', 'linear'] as Activation[]) {
    for (const upstream of UPSTREAMS) {
      for (const useBias of [true, false]) {
        test.each(CASES)(`${activation}, upstream on ${upstream}, bias ${useBias}: B$B T$T D$D H$H`, async ({ B, T, D, H }) => {
          await expectNoLeak(async () => {
            const cell = new SimpleRNN({ inputDim: D, units: H, activation, useBias, seed: 11 });
            if (useBias) tf.tidy(() => cell.bias!.assign(seededTensor([H], 12, -0.3, 0.3) as tf.Tensor1D));
            const scale = activation === 'tanh' ? 1 : 0.4;
            const x = seededTensor([B, T, D], 13, -scale, scale) as tf.Tensor3D;
            const h0 = seededTensor([B, H], 14, -0.5, 0.5) as tf.Tensor2D;
            const dSeq = upstream === 'last' ? undefined : (seededTensor([B, T, H], 15) as tf.Tensor3D);
            const dLast = upstream === 'sequence' ? undefined : (seededTensor([B, H], 16) as tf.Tensor2D);

            const { sequence, last, tape } = cell.forward(x, h0);
            const ours = cell.backward(tape, { dSequence: dSeq, dLast });

            const loss = (xx: tf.Tensor, k: tf.Tensor, u: tf.Tensor, hh: tf.Tensor, b?: tf.Tensor): tf.Scalar => {
              const out = autodiffSimpleRNN(xx as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, (b ?? null) as tf.Tensor1D | null, hh as tf.Tensor2D, activation);
              let L = tf.scalar(0);
              if (dSeq) L = tf.add(L, tf.sum(tf.mul(dSeq, out.sequence)));
              if (dLast) L = tf.add(L, tf.sum(tf.mul(dLast, out.last)));
              return L;
            };
            const args: tf.Tensor[] = [x, cell.kernel, cell.recurrentKernel, h0];
            if (useBias) args.push(cell.bias!);
            const auto = tf.grads(loss as (...a: tf.Tensor[]) => tf.Scalar)(args);
            const pairs: Array<[string, tf.Tensor, tf.Tensor]> = [
              ['input', ours.input, auto[0]],
              ['kernel', ours.kernel, auto[1]],
              ['recurrentKernel', ours.recurrentKernel, auto[2]],
              ['initialState', ours.initialState, auto[3]],
            ];
            if (useBias) pairs.push(['bias', ours.bias!, auto[4]]);
            else expect(ours.bias).toBeNull();
            for (const [name, a, b] of pairs) {
              const e = await tensorRelErr(a, b);
              maxErr = Math.max(maxErr, e);
              if (e > 1e-5) throw new Error(`${name}: relative error ${e} > 1e-5`);
            }
            tf.dispose([x, h0, sequence, last, ...auto, ours.input, ours.kernel, ours.recurrentKernel, ours.initialState]);
            if (ours.bias) ours.bias.dispose();
            tf.dispose([dSeq, dLast].filter((t) => t !== undefined) as tf.Tensor[]);
            tape.dispose();
            cell.dispose();
          });
        });
      }
    }
  }
});

afterAll(() => {
  console.log(`BPTT vs tf.grads: largest relative error ${maxErr.toExponential(2)}`);
});
