/**
 * The forward alone (differentiableScan when tfjs records no gradient: predict, evaluate) gives the
 * same numbers as the taped forward of training, keeps no tape, and leaks nothing; for every
 * registered cell, with a mask, given initial states and each output form.
 */
import * as tf from '@tensorflow/tfjs';
import { CELLS } from '../src/cells/registry';
import { KERAS_DEFAULTS } from '../src/cells/descriptor';
import { differentiableScan } from '../src/scan/differentiable';
import { backendsUnderTest, expectNoLeak, seededTensor, useBackend } from './helpers';

const [B, T, D, H] = [3, 7, 4, 5];
const FORMS = [
  { returnSequences: false, returnState: false },
  { returnSequences: true, returnState: false },
  { returnSequences: true, returnState: true },
  { returnSequences: false, returnState: true },
];
const ROWS = CELLS.flatMap((c) => (c.id === 'gru' ? [false, true] : [true]).map((resetAfter) => ({ c, resetAfter, name: `${c.id}${resetAfter ? '' : ' (reset before)'}` })));

describe.each(backendsUnderTest())('inference path on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  test.each(ROWS.map((r) => [r.name, r] as const))('%s: same outputs as the taped forward, no tape, no leak', async (_name, { c, resetAfter }) => {
    const math = c.math({ ...KERAS_DEFAULTS, resetAfter });
    const params: Record<string, tf.Tensor> = {};
    math.parameters.forEach((p, k) => (params[p.name] = seededTensor(p.shape(D, H), 40 + k, -0.5, 0.5)));
    const x = seededTensor([B, T, D], 50) as tf.Tensor3D;
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 0, 0, 0]]);
    const initial = math.stateNames.map((_, k) => seededTensor([B, H], 60 + k) as tf.Tensor2D);
    for (const form of FORMS) {
      const options = { ...form, mask };
      let kernelsInference = 0;
      await expectNoLeak(async () => {
        const before = tf.memory().numTensors;
        const profile = await tf.profile(() => {
          const outs = differentiableScan(math, x, params, initial, H, options);
          expect(tf.memory().numTensors - before).toBe(outs.length); // only the outputs live
          tf.dispose(outs);
        });
        kernelsInference = profile.kernels.length;
        const plain = differentiableScan(math, x, params, initial, H, options);
        // Recorded (tf.grads): the taped forward with its customGrad.
        let taped: tf.Tensor[] = [];
        let kernelsTaped = 0;
        const recorded = await tf.profile(() => {
          const g = tf.grads((xx: tf.Tensor) => {
            taped = differentiableScan(math, xx as tf.Tensor3D, params, initial, H, options).map((t) => tf.keep(t.clone()));
            return tf.sum(taped[0]);
          })([x]);
          tf.dispose(g);
        });
        kernelsTaped = recorded.kernels.length;
        expect(taped.length).toBe(plain.length);
        for (let k = 0; k < plain.length; k++) {
          expect(taped[k].shape).toEqual(plain[k].shape);
          expect(Array.from(await taped[k].data())).toEqual(Array.from(await plain[k].data()));
        }
        expect(kernelsInference).toBeLessThan(kernelsTaped);
        tf.dispose([...plain, ...taped]);
      });
    }
    tf.dispose([x, mask, ...initial, ...Object.values(params)]);
  });
});
