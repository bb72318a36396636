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
    ['dropout', 1, /expected dropout to be a number in \[0, 1\), got 1/],
    ['recurrentDropout', -0.1, /expected recurrentDropout to be a number in \[0, 1\), got -0.1/],
    ['dropoutFunc', 'tf.dropout', /expected dropoutFunc to be a function \(ones, rate\) => mask, got 'tf.dropout'/],
    ['seed', 1.5, /expected seed to be an integer, got 1.5/],
    ['inputDim', 0, /expected inputDim to be a positive integer, got 0/],
    ['zeroOutputForMask', 'yes', /expected zeroOutputForMask to be true or false, got 'yes'/],
    ['timeMajor', true, /expected timeMajor to be false/],
    ['buildConfig', {}, /unknown option\(s\) buildConfig/], // an unknown key from a newer Keras: refused by name
    ['implementation', 3, /expected implementation 1 or 2, got 3/],
    ['activation', 'eLU', /expected activation to be one of elu, hardSigmoid, .*, got 'eLU'/],
    ['recurrentActivation', 'soft_sign', /expected recurrentActivation to be one of elu, .*, got 'soft_sign'/],
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

  it('accepts what stock accepts: dropout, regularizers, constraints, zeroOutputForMask, unroll, inputDim/inputLength, seed', () => {
    const layer = make({
      dropout: 0.2, recurrentDropout: 0.1, dropoutFunc: null, kernelRegularizer: 'l1l2', recurrentRegularizer: tf.regularizers.l2(), biasRegularizer: 'l1l2',
      activityRegularizer: tf.regularizers.l1(), kernelConstraint: 'maxNorm', recurrentConstraint: 'nonNeg', biasConstraint: 'unitNorm',
      unroll: true, zeroOutputForMask: true, inputDim: 4, inputLength: 7, seed: 3,
    });
    expect(layer.batchInputShape).toEqual([null, 7, 4]);
    expect(layer.getConfig()).toMatchObject({ units: 3, dropout: 0.2, recurrentDropout: 0.1, zeroOutputForMask: true, seed: 3 });
  });

  it('names fresh layers uniquely, as stock does: a model holding a layer named lstm takes another', () => {
    const model = tf.sequential({ layers: [lstm({ units: 2, inputShape: [3, 2], returnSequences: true, name: 'lstm' }), lstm({ units: 2, returnSequences: true }), lstm({ units: 2 })] });
    expect(new Set(model.layers.map((l) => l.name)).size).toBe(3);
    model.dispose();
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
    expect(() => layer.call(x, {})).toThrow(/expected input \[batch, time, 3\] for gru_\w+, got \[2, 4, 5\]/);
    const good = seededTensor([2, 4, 3], 2);
    const mask = tf.ones([2, 5]);
    expect(() => layer.call(good, { mask })).toThrow(/expected the mask of gru_\w+ to be \[2, 4\] \(batch, time\), got \[2, 5\]/);
    expect(() => layer.call(good, { initialState: [tf.zeros([2, 3])] })).toThrow(/expected initial state 0 of gru_\w+ \[2, 2\], got \[2, 3\]/);
    const unbuilt = gru({ units: 2 });
    expect(() => unbuilt.call(good, {})).toThrow(/expected gru_\w+ to be built before it is called, got an unbuilt layer/);
    tf.dispose([x, good, mask]);
  });
});
