/** No tensor leaks: 100 forward + backward + tape.dispose() passes leave numTensors unchanged. */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import { backendsUnderTest, expectNoLeak, seededTensor, useBackend } from './helpers';

describe.each(backendsUnderTest())('no leaks on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  test.each(['tanh', 'relu', 'linear'] as const)('100 passes of forward/backward/dispose (%s)', async (activation) => {
    const cell = new SimpleRNN({ inputDim: 4, units: 6, activation, seed: 5 });
    const x = seededTensor([3, 7, 4], 6);
    const h0 = seededTensor([3, 6], 7);
    await expectNoLeak(async () => {
      for (let i = 0; i < 100; i++) {
        const { sequence, last, tape } = cell.forward(x, i % 2 === 0 ? h0 : undefined);
        const g = cell.backward(tape, { dSequence: sequence, dLast: i % 3 === 0 ? last : undefined }, { returnStateGradients: i % 5 === 0 });
        tape.dispose();
        tape.dispose(); // idempotent
        tf.dispose([sequence, last, g.kernel, g.recurrentKernel, g.bias!, g.input, g.initialState]);
        if (g.state) g.state.dispose();
      }
    });
    tf.dispose([x, h0]);
    cell.dispose();
  });
});
