/** cell.weightGradients gives exactly backward()'s weight gradients, without ∂x and ∂h0. */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

describe.each(backendsUnderTest())('weightGradients on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  test.each(['tanh', 'relu', 'linear'] as const)('%s: equals backward() bit for bit, leaks nothing', async (activation) => {
    await expectNoLeak(async () => {
      const cell = new SimpleRNN({ inputDim: 5, units: 7, activation, seed: 71 });
      const x = seededTensor([4, 9, 5], 72, -0.5, 0.5);
      const dSeq = seededTensor([4, 9, 7], 73);
      const { sequence, last, tape } = cell.forward(x);
      const full = cell.backward(tape, { dSequence: dSeq, dLast: last });
      const weights = cell.weightGradients(tape, { dSequence: dSeq, dLast: last });
      expect(Object.keys(weights).sort()).toEqual(['bias', 'kernel', 'recurrentKernel']);
      expect(await tensorRelErr(weights.kernel, full.kernel)).toBe(0);
      expect(await tensorRelErr(weights.recurrentKernel, full.recurrentKernel)).toBe(0);
      expect(await tensorRelErr(weights.bias!, full.bias!)).toBe(0);
      tf.dispose([x, dSeq, sequence, last, full.kernel, full.recurrentKernel, full.bias!, full.input, full.initialState]);
      tf.dispose([weights.kernel, weights.recurrentKernel, weights.bias!]);
      tape.dispose();
      cell.dispose();
    });
  });
});
