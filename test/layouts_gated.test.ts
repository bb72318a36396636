/**
 * LSTM and GRU layout converters (src/layouts/lstm.ts, gru.ts): PyTorch nn.LSTM / nn.GRU to and from
 * Keras. Every weight is labelled with its gate, row and column so that a gate block landing in the
 * wrong place shows; round trips are exact; wrong shapes and the GRU form PyTorch lacks are refused
 * with named errors; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { gruKerasToPytorch, gruPytorchToKeras } from '../src/layouts/gru';
import { lstmKerasToPytorch, lstmPytorchToKeras } from '../src/layouts/lstm';
import { expectNoLeak, seededTensor } from './helpers';

const D = 2;
const H = 3;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Disposes every tensor of each converter result (or input) given. */
function disposeAll(weights: object[]): void {
  for (const w of weights) for (const t of Object.values(w) as Array<tf.Tensor | null>) if (t !== null) t.dispose();
}

function values(t: tf.Tensor | null): number[] {
  if (t === null) throw new Error('expected a tensor, got null');
  return Array.from(t.dataSync());
}

/** A [G·H, n] PyTorch-layout matrix whose entry (gate g, unit j, column i) is 100·(g + 1) + 10·j + i: every entry differs. */
function labelledRows(gates: number, n: number): number[][] {
  return Array.from({ length: gates * H }, (_, row) => Array.from({ length: n }, (_, i) => 100 * (Math.floor(row / H) + 1) + 10 * (row % H) + i));
}

/** A [G·H] bias labelled like labelledRows, plus `offset`. */
function labelledBias(gates: number, offset: number): number[] {
  return Array.from({ length: gates * H }, (_, row) => offset + 100 * (Math.floor(row / H) + 1) + 10 * (row % H));
}

/**
 * Checks that Keras matrix `keras` [n, G·H] holds, in its gate block k, PyTorch's gate block
 * torchGate[k] of `torch` [G·H, n], transposed.
 */
function expectGateBlocks(keras: tf.Tensor, torch: number[][], torchGate: number[]): void {
  const k = keras.arraySync() as number[][];
  torchGate.forEach((g, block) => {
    for (let j = 0; j < H; j++) for (let i = 0; i < k.length; i++) expect(k[i][block * H + j]).toBe(torch[g * H + j][i]);
  });
}

describe('LSTM', () => {
  test('PyTorch → Keras: i, f, g, o are Keras i, f, c, o (no reordering), transposed; biases summed', async () => {
    await expectNoLeak(() => {
      const weight_ih_l0 = labelledRows(4, D); // [4H, D]
      const weight_hh_l0 = labelledRows(4, H); // [4H, H]
      const keras = lstmPytorchToKeras({ weight_ih_l0, weight_hh_l0, bias_ih_l0: labelledBias(4, 1), bias_hh_l0: labelledBias(4, 2) });
      expect(keras.kernel.shape).toEqual([D, 4 * H]);
      expect(keras.recurrentKernel.shape).toEqual([H, 4 * H]);
      expectGateBlocks(keras.kernel, weight_ih_l0, [0, 1, 2, 3]);
      expectGateBlocks(keras.recurrentKernel, weight_hh_l0, [0, 1, 2, 3]);
      expect(values(keras.bias)).toEqual(labelledBias(4, 0).map((v) => 2 * v + 3)); // b_ih + b_hh
      disposeAll([keras]);
    });
  });

  test('Keras → PyTorch → Keras is exact; bias_ih_l0 = bias, bias_hh_l0 = 0', async () => {
    await expectNoLeak(() => {
      const kernel = seededTensor([D, 4 * H], 1);
      const recurrentKernel = seededTensor([H, 4 * H], 2);
      const bias = seededTensor([4 * H], 3);
      const torch = lstmKerasToPytorch({ kernel, recurrentKernel, bias });
      expect(torch.weight_ih_l0.shape).toEqual([4 * H, D]);
      expect(torch.weight_hh_l0.shape).toEqual([4 * H, H]);
      expect(values(torch.bias_ih_l0)).toEqual(values(bias));
      expect(values(torch.bias_hh_l0)).toEqual(new Array(4 * H).fill(0));
      const back = lstmPytorchToKeras(torch);
      expect(values(back.kernel)).toEqual(values(kernel));
      expect(values(back.recurrentKernel)).toEqual(values(recurrentKernel));
      expect(values(back.bias)).toEqual(values(bias));
      disposeAll([{ kernel, recurrentKernel, bias }, torch, back]);
    });
  });

  test('no bias stays no bias both ways', async () => {
    await expectNoLeak(() => {
      const keras = lstmPytorchToKeras({ weight_ih_l0: labelledRows(4, D), weight_hh_l0: labelledRows(4, H) });
      expect(keras.bias).toBeNull();
      const torch = lstmKerasToPytorch(keras);
      expect(torch.bias_ih_l0).toBeNull();
      expect(torch.bias_hh_l0).toBeNull();
      disposeAll([keras, torch]);
    });
  });
});

describe('GRU', () => {
  // PyTorch's blocks are r, z, n; Keras's are z, r, h: Keras block k is PyTorch block [1, 0, 2][k].
  const TORCH_GATE_OF_KERAS_BLOCK = [1, 0, 2];

  test('PyTorch → Keras: r, z, n become z, r, h, transposed; bias rows are (b_ih, b_hh), reordered alike', async () => {
    await expectNoLeak(() => {
      const weight_ih_l0 = labelledRows(3, D);
      const weight_hh_l0 = labelledRows(3, H);
      const [bih, bhh] = [labelledBias(3, 1), labelledBias(3, 2)];
      const keras = gruPytorchToKeras({ weight_ih_l0, weight_hh_l0, bias_ih_l0: bih, bias_hh_l0: bhh });
      expect(keras.kernel.shape).toEqual([D, 3 * H]);
      expect(keras.recurrentKernel.shape).toEqual([H, 3 * H]);
      expectGateBlocks(keras.kernel, weight_ih_l0, TORCH_GATE_OF_KERAS_BLOCK);
      expectGateBlocks(keras.recurrentKernel, weight_hh_l0, TORCH_GATE_OF_KERAS_BLOCK);
      expect(keras.bias?.shape).toEqual([2, 3 * H]);
      const bias = keras.bias?.arraySync() as number[][];
      [bih, bhh].forEach((b, row) => {
        TORCH_GATE_OF_KERAS_BLOCK.forEach((g, block) => {
          for (let j = 0; j < H; j++) expect(bias[row][block * H + j]).toBe(b[g * H + j]);
        });
      });
      disposeAll([keras]);
    });
  });

  test('both round trips are exact', async () => {
    await expectNoLeak(() => {
      const kernel = seededTensor([D, 3 * H], 4);
      const recurrentKernel = seededTensor([H, 3 * H], 5);
      const bias = seededTensor([2, 3 * H], 6);
      const torch = gruKerasToPytorch({ kernel, recurrentKernel, bias });
      expect(torch.weight_ih_l0.shape).toEqual([3 * H, D]);
      expect(torch.bias_hh_l0?.shape).toEqual([3 * H]);
      const back = gruPytorchToKeras(torch);
      for (const [a, b] of [[back.kernel, kernel], [back.recurrentKernel, recurrentKernel], [back.bias, bias]] as const) expect(values(a)).toEqual(values(b));
      const again = gruKerasToPytorch(back);
      for (const name of ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'] as const) expect(values(again[name])).toEqual(values(torch[name]));
      disposeAll([{ kernel, recurrentKernel, bias }, torch, back, again]);
    });
  });

  test('a single PyTorch bias leaves the other row zero; no bias stays no bias', async () => {
    await expectNoLeak(() => {
      const onlyHh = gruPytorchToKeras({ weight_ih_l0: labelledRows(3, D), weight_hh_l0: labelledRows(3, H), bias_hh_l0: labelledBias(3, 0) });
      const rows = onlyHh.bias?.arraySync() as number[][];
      expect(rows[0]).toEqual(new Array(3 * H).fill(0));
      expect(rows[1].slice(0, H)).toEqual(labelledBias(3, 0).slice(H, 2 * H)); // Keras z = PyTorch's second block
      const none = gruPytorchToKeras({ weight_ih_l0: labelledRows(3, D), weight_hh_l0: labelledRows(3, H) });
      expect(none.bias).toBeNull();
      const torch = gruKerasToPytorch(none);
      expect(torch.bias_ih_l0).toBeNull();
      expect(torch.bias_hh_l0).toBeNull();
      disposeAll([onlyHh, none, torch]);
    });
  });
});

test('outputs are new tensors: disposing the inputs leaves them usable', () => {
  const kernel = seededTensor([D, 4 * H], 7);
  const recurrentKernel = seededTensor([H, 4 * H], 8);
  const bias = seededTensor([4 * H], 9);
  const expected = values(bias);
  const torch = lstmKerasToPytorch({ kernel, recurrentKernel, bias });
  disposeAll([{ kernel, recurrentKernel, bias }]);
  expect(values(torch.bias_ih_l0)).toEqual(expected);
  disposeAll([torch]);
});

describe('wrong shapes, and the GRU form PyTorch lacks, give errors naming expected and given, and leak nothing', () => {
  const refusal = 'nn.GRU applies the reset gate after the recurrent product, so a resetAfter: false GRU has no PyTorch equivalent';
  const cases: Array<[string, () => unknown, string]> = [
    ['LSTM weight_ih_l0 rows not a multiple of 4', () => lstmPytorchToKeras({ weight_ih_l0: tf.zeros([7, 2]), weight_hh_l0: tf.zeros([8, 2]) }), 'expected weight_ih_l0 [4H, D] with 4H a multiple of 4, got [7, 2]'],
    ['LSTM weight_hh_l0 not [4H, H]', () => lstmPytorchToKeras({ weight_ih_l0: tf.zeros([12, 2]), weight_hh_l0: tf.zeros([12, 4]) }), 'expected weight_hh_l0 [4H, H] = [12, 3], got [12, 4]'],
    ['LSTM bias_hh_l0 of [H]', () => lstmPytorchToKeras({ weight_ih_l0: tf.zeros([12, 2]), weight_hh_l0: tf.zeros([12, 3]), bias_hh_l0: tf.zeros([3]) }), 'expected bias_hh_l0 [4H] = [12], got [3]'],
    ['LSTM kernel of rank 3', () => lstmKerasToPytorch({ kernel: tf.zeros([1, 2, 12]), recurrentKernel: tf.zeros([3, 12]) }), 'expected kernel [D, 4H], got [1, 2, 12]'],
    ['LSTM recurrentKernel of a GRU', () => lstmKerasToPytorch({ kernel: tf.zeros([2, 12]), recurrentKernel: tf.zeros([3, 9]) }), 'expected recurrentKernel [H, 4H] = [3, 12], got [3, 9]'],
    ['GRU kernel columns not a multiple of 3', () => gruKerasToPytorch({ kernel: tf.zeros([2, 8]), recurrentKernel: tf.zeros([3, 9]) }), 'expected kernel [D, 3H] with 3H a multiple of 3, got [2, 8]'],
    ['GRU weight_hh_l0 of an LSTM', () => gruPytorchToKeras({ weight_ih_l0: tf.zeros([9, 2]), weight_hh_l0: tf.zeros([12, 3]) }), 'expected weight_hh_l0 [3H, H] = [9, 3], got [12, 3]'],
    ['GRU ragged weight_hh_l0', () => gruPytorchToKeras({ weight_ih_l0: tf.zeros([3, 2]), weight_hh_l0: [[1], [2], []] }), 'expected weight_hh_l0[2] an array of 1 entry'],
    ['GRU Keras bias [3H] (resetAfter false)', () => gruKerasToPytorch({ kernel: tf.zeros([2, 9]), recurrentKernel: tf.zeros([3, 9]), bias: tf.zeros([9]) }), `${refusal}; got bias [9]`],
    ['GRU resetAfter: false without a bias', () => gruKerasToPytorch({ kernel: tf.zeros([2, 9]), recurrentKernel: tf.zeros([3, 9]) }, { resetAfter: false }), `${refusal}; got resetAfter: false`],
    ['GRU Keras bias [3, 3H]', () => gruKerasToPytorch({ kernel: tf.zeros([2, 9]), recurrentKernel: tf.zeros([3, 9]), bias: tf.zeros([3, 9]) }), 'expected bias [2, 3H] = [2, 9], got [3, 9]'],
    ['GRU bias_ih_l0 of [2, 3H]', () => gruPytorchToKeras({ weight_ih_l0: tf.zeros([9, 2]), weight_hh_l0: tf.zeros([9, 3]), bias_ih_l0: tf.zeros([2, 9]) }), 'expected bias_ih_l0 [3H] = [9], got [2, 9]'],
  ];
  test.each(cases)('%s', async (_name, convert, message) => {
    await expectNoLeak(() => {
      tf.tidy(() => {
        expect(convert).toThrow(message);
      });
    });
  });
});
