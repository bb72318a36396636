/**
 * Proof 3, second half: the tfjs cell (float32, forward and manual BPTT) agrees with the
 * independent float64 reference (src/reference/simple_rnn.ts, itself checked by finite differences in
 * reference.test.ts) within float32 tolerance: norm-wise relative error ≤ 1e-5 for the sequence,
 * the last state and every gradient; on every backend under test.
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import type { ReferenceActivation as Activation } from '../src/reference/shared';
import { referenceBackward, referenceForward } from '../src/reference/simple_rnn';
import { backendsUnderTest, expectNoLeak, relErr, seededArray, useBackend } from './helpers';

const TOLERANCE = 1e-5;
const CASES = [
  { B: 1, T: 1, D: 1, H: 1 },
  { B: 2, T: 4, D: 3, H: 5 },
  { B: 4, T: 20, D: 8, H: 12 },
];
const UPSTREAMS = ['sequence', 'last', 'both'] as const;
let maxErr = 0;

afterAll(() => {
  console.log(`tfjs cell vs float64 reference: max relErr ${maxErr.toExponential(2)}`);
});

function f64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a);
}

describe.each(backendsUnderTest())('tfjs cell = float64 reference on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  for (const activation of ['tanh', 'relu', 'linear'] as Activation[]) {
    for (const upstream of UPSTREAMS) {
      for (const withH0 of [true, false]) {
        test.each(CASES)(`${activation}, upstream on ${upstream}, h0 ${withH0 ? 'given' : 'absent'}: B$B T$T D$D H$H`, async ({ B, T, D, H }) => {
          await expectNoLeak(async () => {
            const seed = 1000 * B + 100 * T + 10 * D + H;
            // relu/linear: a contractive recurrence keeps long sequences in range.
            const scale = activation === 'tanh' ? 1 : 0.4;
            const xs = seededArray(B * T * D, seed + 1); // [B, T, D]
            const ks = seededArray(D * H, seed + 2, -scale, scale); // [D, H]
            // Recurrent entries ~ 1.5/√H: spectral radius below 1, as with Keras's orthogonal init, so
            // float32 round-off is not amplified over T steps by a chaotic recurrence.
            const uScale = Math.min(scale, 1.5 / Math.sqrt(H));
            const us = seededArray(H * H, seed + 3, -uScale, uScale); // [H, H]
            const bs = seededArray(H, seed + 4, -0.5, 0.5); // [H]
            const h0s = seededArray(B * H, seed + 5); // [B, H]
            const dSeqs = seededArray(B * T * H, seed + 6); // [B, T, H]
            const dLasts = seededArray(B * H, seed + 7); // [B, H]

            const weights = { kernel: f64(ks), recurrentKernel: f64(us), bias: f64(bs), H };
            const h0Ref = withH0 ? f64(h0s) : null;
            const up = {
              dSequence: upstream === 'last' ? null : f64(dSeqs),
              dLast: upstream === 'sequence' ? null : f64(dLasts),
            };
            const ref = referenceForward(f64(xs), { B, T, D }, weights, h0Ref, activation);
            if (activation === 'relu') {
              // float32 and float64 must agree on every sign of a: stay away from the kink.
              expect(Math.min(...Array.from(ref.preActivations, Math.abs))).toBeGreaterThan(1e-4);
            }
            const refG = referenceBackward(f64(xs), { B, T, D }, weights, h0Ref, activation, up);

            const cell = new SimpleRNN({ inputDim: D, units: H, activation, useBias: true, seed: 1 });
            const w = [tf.tensor2d(ks, [D, H]), tf.tensor2d(us, [H, H]), tf.tensor1d(bs)];
            cell.setWeights(w);
            const x = tf.tensor3d(xs, [B, T, D]);
            const h0 = withH0 ? tf.tensor2d(h0s, [B, H]) : null;
            const dSequence = up.dSequence === null ? undefined : tf.tensor3d(dSeqs, [B, T, H]);
            const dLast = up.dLast === null ? undefined : tf.tensor2d(dLasts, [B, H]);
            const { sequence, last, tape } = cell.forward(x, h0);
            const g = cell.backward(tape, { dSequence, dLast });

            const errs = {
              sequence: relErr(await sequence.data(), ref.sequence),
              last: relErr(await last.data(), ref.last),
              kernel: relErr(await g.kernel.data(), refG.kernel),
              recurrentKernel: relErr(await g.recurrentKernel.data(), refG.recurrentKernel),
              bias: relErr((g.bias ? await g.bias.data() : []), refG.bias ?? []),
              input: relErr(await g.input.data(), refG.input),
              initialState: relErr(await g.initialState.data(), refG.initialState),
            };
            for (const [name, e] of Object.entries(errs)) {
              maxErr = Math.max(maxErr, e);
              if (!(e <= TOLERANCE)) throw new Error(`expected ${name} relErr ≤ ${TOLERANCE}, got ${e}`);
            }

            tf.dispose([x, sequence, last, ...w, g.kernel, g.recurrentKernel, g.input, g.initialState]);
            for (const t of [h0, dSequence, dLast, g.bias]) t?.dispose();
            tape.dispose();
            cell.dispose();
          });
        });
      }
    }
  }
});
