/** Bad input gets an Error naming what was expected and what was given: one test per case. */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';
import { simpleRNNSequence } from '../src/cells/simple_rnn';
import { expectNoLeak } from './helpers';

let cell: SimpleRNN;
beforeAll(async () => {
  await tf.setBackend('cpu');
  cell = new SimpleRNN({ inputDim: 10, units: 3, seed: 1 });
});
afterAll(() => cell.dispose());

function withTensors(fn: (keep: (t: tf.Tensor) => tf.Tensor) => void): void {
  const made: tf.Tensor[] = [];
  try {
    fn((t) => {
      made.push(t);
      return t;
    });
  } finally {
    tf.dispose(made);
  }
}

test('wrong rank', () => {
  withTensors((k) => {
    expect(() => cell.forward(k(tf.zeros([8, 2, 10, 1])))).toThrow('expected input [batch, time, 10] or [time, 10], got [8, 2, 10, 1] (rank 4)');
    expect(() => cell.forward(k(tf.zeros([10])))).toThrow('got [10] (rank 1)');
  });
});

test('wrong feature size', () => {
  withTensors((k) => {
    expect(() => cell.forward(k(tf.zeros([8, 2, 12])))).toThrow('expected input [batch, time, 10], got [8, 2, 12]');
    expect(() => cell.forward(k(tf.zeros([2, 12])))).toThrow('expected input [time, 10], got [2, 12]');
  });
});

test('h0 batch mismatch', () => {
  withTensors((k) => {
    expect(() => cell.forward(k(tf.zeros([8, 2, 10])), k(tf.zeros([4, 3])))).toThrow('expected initial state [8, 3], got [4, 3]');
  });
});

test('h0 size mismatch', () => {
  withTensors((k) => {
    expect(() => cell.forward(k(tf.zeros([8, 2, 10])), k(tf.zeros([8, 5])))).toThrow('expected initial state [8, 3], got [8, 5]');
    expect(() => cell.forward(k(tf.zeros([2, 10])), k(tf.zeros([5])))).toThrow('expected initial state [3], got [5]');
  });
});

test('T = 0', () => {
  withTensors((k) => {
    expect(() => cell.forward(k(tf.zeros([8, 0, 10])))).toThrow('expected at least one time step, got input [8, 0, 10]');
  });
});

test('non-float input', () => {
  withTensors((k) => {
    expect(() => cell.forward(k(tf.zeros([8, 2, 10], 'int32')))).toThrow('expected input of dtype float32, got int32');
  });
});

test.each([
  [{ inputDim: 10, units: 2.5 }, 'expected units to be a positive integer, got 2.5'],
  [{ inputDim: 10, units: 0 }, 'expected units to be a positive integer, got 0'],
  [{ inputDim: -1, units: 3 }, 'expected inputDim to be a positive integer, got -1'],
  [{ inputDim: Number.NaN, units: 3 }, 'expected inputDim to be a positive integer, got NaN'],
  [{ inputDim: 10, units: 3, activation: 'sigmod' }, "expected activation to be one of elu, hardSigmoid, linear, relu, relu6, selu, sigmoid, softmax, softplus, softsign, tanh, swish, mish, gelu, gelu_new, logSoftmax, hardSigmoidKeras3, got 'sigmod'"],
])('bad config %j', async (config, message) => {
  await expectNoLeak(() => {
    expect(() => new SimpleRNN(config as never)).toThrow(message);
  });
});

test('setWeights with the wrong count', () => {
  withTensors((k) => {
    expect(() => cell.setWeights([k(tf.zeros([10, 3])), k(tf.zeros([3, 3]))])).toThrow(
      'expected 3 weights [kernel, recurrentKernel, bias], got 2',
    );
  });
});

test('setWeights with wrong shapes', () => {
  withTensors((k) => {
    expect(() => cell.setWeights([k(tf.zeros([3, 10])), k(tf.zeros([3, 3])), k(tf.zeros([3]))])).toThrow('expected kernel [10, 3], got [3, 10]');
    expect(() => cell.setWeights([k(tf.zeros([10, 3])), k(tf.zeros([3, 4])), k(tf.zeros([3]))])).toThrow('expected recurrentKernel [3, 3], got [3, 4]');
    expect(() => cell.setWeights([k(tf.zeros([10, 3])), k(tf.zeros([3, 3])), k(tf.zeros([4]))])).toThrow('expected bias [3], got [4]');
  });
  // Nothing was half-assigned: a failed setWeights leaves the weights as they were.
  const kernelBefore = cell.kernel.dataSync().slice();
  withTensors((k) => {
    expect(() => cell.setWeights([k(tf.ones([10, 3])), k(tf.ones([3, 3])), k(tf.ones([4]))])).toThrow();
  });
  expect(Array.from(cell.kernel.dataSync())).toEqual(Array.from(kernelBefore));
});

test('upstream gradients of the wrong shape', () => {
  withTensors((k) => {
    const out = cell.forward(k(tf.zeros([8, 2, 10])));
    k(out.sequence);
    k(out.last);
    try {
      expect(() => cell.backward(out.tape, { dSequence: k(tf.zeros([8, 3, 3])) })).toThrow(
        'expected dSequence (the shape of sequence) [8, 2, 3], got [8, 3, 3]',
      );
      expect(() => cell.backward(out.tape, { dLast: k(tf.zeros([8, 4])) })).toThrow('expected dLast (the shape of last) [8, 3], got [8, 4]');
      expect(() => cell.backward(out.tape, {})).toThrow('expected an upstream gradient dSequence and/or dLast, got neither');
    } finally {
      out.tape.dispose();
    }
  });
});

test('use of a disposed tape', () => {
  withTensors((k) => {
    const out = cell.forward(k(tf.zeros([8, 2, 10])));
    k(out.sequence);
    k(out.last);
    out.tape.dispose();
    expect(out.tape.isDisposed).toBe(true);
    expect(() => cell.backward(out.tape, { dLast: k(tf.ones([8, 3])) })).toThrow(
      'expected a live tape, got a disposed one: run forward() again before backward()',
    );
  });
});

test('functional entry point checks weight shapes', () => {
  withTensors((k) => {
    expect(() =>
      simpleRNNSequence(k(tf.zeros([2, 3, 10])) as tf.Tensor3D, k(tf.zeros([10, 3])) as tf.Tensor2D, k(tf.zeros([3, 4])) as tf.Tensor2D, null),
    ).toThrow('expected recurrentKernel [3, 3], got [3, 4]');
    expect(() =>
      simpleRNNSequence(k(tf.zeros([2, 3, 9])) as tf.Tensor3D, k(tf.zeros([10, 3])) as tf.Tensor2D, k(tf.zeros([3, 3])) as tf.Tensor2D, null),
    ).toThrow('expected input [batch, time, 10], got [2, 3, 9]');
  });
});
