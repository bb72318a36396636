/**
 * Drop-in layers: what we do not implement is refused by name (never ignored), one test per case;
 * the "off" values a Keras or tfjs config spells out are accepted; bad calls say what was expected
 * and what was given.
 */
import * as tf from '@tensorflow/tfjs';
import { gru } from '../src/layers/gru_layer';
import { lstm } from '../src/layers/lstm_layer';
import { simpleRNN } from '../src/layers/simple_rnn_layer';
import { seededTensor, useBackend } from './helpers';

type Args = Record<string, unknown>;
const make = (args: Args) => lstm({ units: 3, ...args } as Parameters<typeof lstm>[0]);

describe('drop-in layers: options refused and accepted', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each([
    ['dropout', 0.2, /expected dropout to be 0 \(LSTM layers of tfjs-rnn do not implement dropout\), got 0.2/],
    ['recurrentDropout', 0.1, /expected recurrentDropout to be 0 .* got 0.1/],
    ['dropoutFunc', () => 0, /expected dropoutFunc to be absent or null .* do not implement dropoutFunc/],
    ['kernelRegularizer', 'l2', /expected kernelRegularizer to be absent or null .* got 'l2'/],
    ['recurrentRegularizer', 'l1l2', /expected recurrentRegularizer to be absent or null/],
    ['biasRegularizer', 'l1', /expected biasRegularizer to be absent or null/],
    ['activityRegularizer', 'l2', /expected activityRegularizer to be absent or null/],
    ['kernelConstraint', 'maxNorm', /expected kernelConstraint to be absent or null/],
    ['recurrentConstraint', 'nonNeg', /expected recurrentConstraint to be absent or null/],
    ['biasConstraint', 'unitNorm', /expected biasConstraint to be absent or null/],
    ['unroll', true, /expected unroll to be false .* got true/],
    ['timeMajor', true, /expected timeMajor to be false/],
    ['zeroOutputForMask', true, /expected zeroOutputForMask to be false/],
    ['implementation', 3, /expected implementation 1 or 2, got 3/],
    ['activation', 'elu', /expected activation to be one of tanh, relu, linear, got 'elu'/],
    ['recurrentActivation', 'softsign', /expected recurrentActivation to be one of sigmoid, hardSigmoid, got 'softsign'/],
    ['dtype', 'int32', /expected dtype 'float32', got 'int32'/],
    ['units', 0, /expected units to be a positive integer, got 0/],
    ['returnSequences', 'yes', /expected returnSequences to be true or false, got 'yes'/],
    ['cell', {}, /unknown option\(s\) cell/],
    ['resetAfter', true, /unknown option\(s\) resetAfter/], // an LSTM has none
  ])('LSTM refuses %s: %p', (key, value, message) => {
    expect(() => make({ [key]: value })).toThrow(message);
  });

  it('SimpleRNN has no recurrentActivation; GRU takes resetAfter', () => {
    expect(() => simpleRNN({ units: 2, recurrentActivation: 'sigmoid' } as Parameters<typeof simpleRNN>[0])).toThrow(/unknown option\(s\) recurrentActivation/);
    expect(() => gru({ units: 2, resetAfter: 1 } as unknown as Parameters<typeof gru>[0])).toThrow(/expected resetAfter to be true or false, got 1/);
    expect(() => lstm(undefined as unknown as Parameters<typeof lstm>[0])).toThrow(/expected LSTM layer args \{ units, \.\.\. \}, got undefined/);
  });

  it('accepts the "off" values Keras and tfjs configs spell out', () => {
    const layer = make({
      dropout: 0, recurrentDropout: 0, kernelRegularizer: null, recurrentRegularizer: null, biasRegularizer: null,
      activityRegularizer: null, kernelConstraint: null, recurrentConstraint: null, biasConstraint: null,
      unroll: false, timeMajor: false, implementation: 2, unitForgetBias: null, dtype: 'float32', trainable: true,
    });
    expect(layer.getConfig()).toMatchObject({ units: 3, dropout: 0, unroll: false });
  });

  it('a direct call says what input and mask it expected', () => {
    const layer = gru({ units: 2, inputShape: [4, 3] });
    tf.sequential({ layers: [layer] });
    const x = seededTensor([2, 4, 5], 1);
    expect(() => layer.call(x, {})).toThrow(/expected input \[batch, time, 3\] for gru(_\d+)?, got \[2, 4, 5\]/);
    const good = seededTensor([2, 4, 3], 2);
    const mask = tf.ones([2, 5]);
    expect(() => layer.call(good, { mask })).toThrow(/expected the mask of gru(_\d+)? to be \[2, 4\] \(batch, time\), got \[2, 5\]/);
    expect(() => layer.call(good, { initialState: [tf.zeros([2, 3])] })).toThrow(/expected initial state 0 of gru(_\d+)? \[2, 2\], got \[2, 3\]/);
    const unbuilt = gru({ units: 2 });
    expect(() => unbuilt.call(good, {})).toThrow(/expected gru(_\d+)? to be built before it is called, got an unbuilt layer/);
    tf.dispose([x, good, mask]);
  });
});
