/**
 * Proof 1: parity with tf.layers.simpleRNN on copied weights (float32, relative error ≤ 1e-5),
 * on every backend under test. Also the Keras notebook of the seed document ../shared/seeds/003:
 * SimpleRNN(units=3, batch_input_shape=(8, 2, 10)) has 42 parameters and output (8, 2, 3).
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import type { ReferenceActivation as Activation } from '../src/reference/shared';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

const SHAPES: Array<{ B: number; T: number; D: number; H: number }> = [
  { B: 1, T: 1, D: 1, H: 1 },
  { B: 8, T: 2, D: 10, H: 3 },
  { B: 4, T: 17, D: 5, H: 9 },
  { B: 3, T: 40, D: 32, H: 64 },
];

/** A tf.layers model returning [sequence, lastState], optionally fed an initial state. */
function layersModel(D: number, H: number, activation: Activation, withH0: boolean): tf.LayersModel {
  const x = tf.input({ shape: [null, D] });
  const layer = tf.layers.simpleRNN({ units: H, activation, returnSequences: true, returnState: true });
  if (!withH0) {
    const outs = layer.apply(x) as tf.SymbolicTensor[];
    return tf.model({ inputs: x, outputs: outs });
  }
  const h0 = tf.input({ shape: [H] });
  const outs = layer.apply(x, { initialState: [h0] }) as tf.SymbolicTensor[];
  return tf.model({ inputs: [x, h0], outputs: outs });
}

export let maxParityErr = 0;

describe.each(backendsUnderTest())('parity with tf.layers.simpleRNN on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  for (const activation of ['tanh', 'relu', 'linear'] as Activation[]) {
    for (const withH0 of [false, true]) {
      test.each(SHAPES)(`${activation}, h0 ${withH0 ? 'given' : 'absent'}: B$B T$T D$D H$H`, async ({ B, T, D, H }) => {
        await expectNoLeak(async () => {
          const cell = new SimpleRNN({ inputDim: D, units: H, activation, seed: 7 });
          const model = layersModel(D, H, activation, withH0);
          // Non-zero bias so that its placement is tested too.
          tf.tidy(() => cell.bias!.assign(seededTensor([H], 99, -0.5, 0.5) as tf.Tensor1D));
          const weights = cell.getWeights();
          model.layers.find((l) => l.getClassName() === 'SimpleRNN')!.setWeights(weights);
          // relu/linear: keep the recurrence contractive so that long sequences stay finite.
          const scale = activation === 'tanh' ? 1 : 0.3;
          const x = seededTensor([B, T, D], 1 + T, -scale, scale) as tf.Tensor3D;
          const h0 = withH0 ? (seededTensor([B, H], 2 + T) as tf.Tensor2D) : null;
          const [seqL, lastL] = model.predict(withH0 ? [x, h0!] : x) as tf.Tensor[];
          const { sequence, last, tape } = cell.forward(x, h0);
          const eSeq = await tensorRelErr(sequence, seqL);
          const eLast = await tensorRelErr(last, lastL);
          maxParityErr = Math.max(maxParityErr, eSeq, eLast);
          expect(eSeq).toBeLessThanOrEqual(1e-5);
          expect(eLast).toBeLessThanOrEqual(1e-5);
          tf.dispose([sequence, last, seqL, lastL, x, ...weights]);
          if (h0) h0.dispose();
          tape.dispose();
          cell.dispose();
          model.dispose();
        });
      });
    }
  }

  test('unbatched input [T, D] with h0 [H] equals the batch-of-one case', async () => {
    const cell = new SimpleRNN({ inputDim: 4, units: 5, seed: 3 });
    const x = seededTensor([6, 4], 5);
    const h0 = seededTensor([5], 6);
    const one = cell.forward(x, h0);
    const batched = cell.forward(tf.expandDims(x, 0), tf.expandDims(h0, 0));
    expect(one.sequence.shape).toEqual([6, 5]);
    expect(one.last.shape).toEqual([5]);
    expect(await tensorRelErr(one.sequence, tf.squeeze(batched.sequence, [0]))).toBe(0);
    expect(await tensorRelErr(one.last, tf.squeeze(batched.last, [0]))).toBe(0);
    tf.dispose([x, h0, one.sequence, one.last, batched.sequence, batched.last]);
    one.tape.dispose();
    batched.tape.dispose();
    cell.dispose();
  });

  test('Keras notebook (seeds/003): units 3, input dim 10 has 42 parameters; batchInputShape [8,2,10] gives [8,2,3]', async () => {
    const cell = new SimpleRNN({ inputDim: 10, units: 3, seed: 1 });
    expect(cell.countParams()).toBe(42);
    const model = tf.sequential();
    model.add(tf.layers.simpleRNN({ units: 3, batchInputShape: [8, 2, 10], returnSequences: true }));
    expect(model.countParams()).toBe(42);
    expect(model.outputs[0].shape).toEqual([8, 2, 3]);
    const weights = cell.getWeights();
    model.setWeights(weights);
    const x = seededTensor([8, 2, 10], 3);
    const yL = model.predict(x) as tf.Tensor;
    const { sequence, last, tape } = cell.forward(x);
    expect(sequence.shape).toEqual([8, 2, 3]);
    expect(await tensorRelErr(sequence, yL)).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, yL, sequence, last, ...weights]);
    tape.dispose();
    cell.dispose();
    model.dispose();
  });
});

afterAll(() => {
  // The margin under the 1e-5 bound, in the test log.
  console.log(`parity: largest relative error ${maxParityErr.toExponential(2)}`);
});
