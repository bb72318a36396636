/**
 * Layout converters (src/layouts/simple_rnn.ts): textbook and PyTorch nn.RNN to and from Keras. Round trips are
 * exact, the element mapping is the documented one, wrong shapes give named errors, nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { referenceForward } from '../src/reference/simple_rnn';
import { kerasToPytorch, kerasToTextbook, pytorchToKeras, textbookToKeras } from '../src/layouts/simple_rnn';
import { expectNoLeak, seededArray, seededTensor } from './helpers';

const D = 3;
const H = 4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function disposeAll(...ts: Array<tf.Tensor | null>): void {
  for (const t of ts) if (t !== null) t.dispose();
}

function values(t: tf.Tensor | null): number[] {
  if (t === null) throw new Error('expected a tensor, got null');
  return Array.from(t.dataSync());
}

test('textbook → Keras is the transpose (kernel[i][j] = W[j][i]) and the round trip is exact', async () => {
  await expectNoLeak(() => {
    const W = seededTensor([H, D], 1) as tf.Tensor2D;
    const U = seededTensor([H, H], 2) as tf.Tensor2D;
    const b = seededTensor([H], 3) as tf.Tensor1D;
    const keras = textbookToKeras({ W, U, b });
    expect(keras.kernel.shape).toEqual([D, H]);
    expect(keras.recurrentKernel.shape).toEqual([H, H]);
    const Wa = W.arraySync();
    const Ua = U.arraySync();
    const ka = keras.kernel.arraySync();
    const rka = keras.recurrentKernel.arraySync();
    for (let i = 0; i < D; i++) for (let j = 0; j < H; j++) expect(ka[i][j]).toBe(Wa[j][i]);
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) expect(rka[i][j]).toBe(Ua[j][i]);
    expect(values(keras.bias)).toEqual(values(b));
    const back = kerasToTextbook(keras);
    expect(values(back.W)).toEqual(values(W));
    expect(values(back.U)).toEqual(values(U));
    expect(values(back.b)).toEqual(values(b));
    disposeAll(W, U, b, keras.kernel, keras.recurrentKernel, keras.bias, back.W, back.U, back.b);
  });
});

test('Keras → textbook → Keras is exact', async () => {
  await expectNoLeak(() => {
    const kernel = seededTensor([D, H], 4) as tf.Tensor2D;
    const recurrentKernel = seededTensor([H, H], 5) as tf.Tensor2D;
    const bias = seededTensor([H], 6) as tf.Tensor1D;
    const textbook = kerasToTextbook({ kernel, recurrentKernel, bias });
    expect(textbook.W.shape).toEqual([H, D]);
    const back = textbookToKeras(textbook);
    expect(values(back.kernel)).toEqual(values(kernel));
    expect(values(back.recurrentKernel)).toEqual(values(recurrentKernel));
    expect(values(back.bias)).toEqual(values(bias));
    disposeAll(kernel, recurrentKernel, bias, textbook.W, textbook.U, textbook.b, back.kernel, back.recurrentKernel, back.bias);
  });
});

test('Keras → PyTorch → Keras is exact; bias_ih_l0 = bias, bias_hh_l0 = 0', async () => {
  await expectNoLeak(() => {
    const kernel = seededTensor([D, H], 7) as tf.Tensor2D;
    const recurrentKernel = seededTensor([H, H], 8) as tf.Tensor2D;
    const bias = seededTensor([H], 9) as tf.Tensor1D;
    const torch = kerasToPytorch({ kernel, recurrentKernel, bias });
    expect(torch.weight_ih_l0.shape).toEqual([H, D]);
    expect(torch.weight_hh_l0.shape).toEqual([H, H]);
    expect(torch.weight_ih_l0.arraySync()).toEqual(tf.tidy(() => kernel.transpose().arraySync()));
    expect(values(torch.bias_ih_l0)).toEqual(values(bias));
    expect(values(torch.bias_hh_l0)).toEqual([0, 0, 0, 0]);
    const back = pytorchToKeras(torch);
    expect(values(back.kernel)).toEqual(values(kernel));
    expect(values(back.recurrentKernel)).toEqual(values(recurrentKernel));
    expect(values(back.bias)).toEqual(values(bias));
    disposeAll(kernel, recurrentKernel, bias, ...Object.values(torch), back.kernel, back.recurrentKernel, back.bias);
  });
});

test('PyTorch → Keras sums the two biases; PyTorch → Keras → PyTorch keeps the sum (exact when bias_hh_l0 = 0)', async () => {
  await expectNoLeak(() => {
    const weight_ih_l0 = seededTensor([H, D], 10);
    const weight_hh_l0 = seededTensor([H, H], 11);
    const bias_ih_l0 = seededTensor([H], 12);
    const bias_hh_l0 = seededTensor([H], 13);
    const keras = pytorchToKeras({ weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 });
    const bih = values(bias_ih_l0);
    const bhh = values(bias_hh_l0);
    expect(values(keras.bias)).toEqual(bih.map((v, j) => Math.fround(v + bhh[j]))); // float32 b_ih + b_hh
    const back = kerasToPytorch(keras);
    expect(values(back.weight_ih_l0)).toEqual(values(weight_ih_l0));
    expect(values(back.weight_hh_l0)).toEqual(values(weight_hh_l0));
    expect(values(back.bias_ih_l0)).toEqual(values(keras.bias));
    expect(values(back.bias_hh_l0)).toEqual([0, 0, 0, 0]);
    const again = pytorchToKeras(back); // bias_hh_l0 = 0 now: exact from here on
    expect(values(again.bias)).toEqual(values(keras.bias));
    disposeAll(weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, keras.kernel, keras.recurrentKernel, keras.bias);
    disposeAll(...Object.values(back), again.kernel, again.recurrentKernel, again.bias);
  });
});

test('no bias stays no bias; a single PyTorch bias is taken as the whole bias', async () => {
  await expectNoLeak(() => {
    const W = seededTensor([H, D], 14);
    const U = seededTensor([H, H], 15);
    const b = seededTensor([H], 16);
    const keras = textbookToKeras({ W, U });
    expect(keras.bias).toBeNull();
    const textbook = kerasToTextbook({ kernel: keras.kernel, recurrentKernel: keras.recurrentKernel, bias: null });
    expect(textbook.b).toBeNull();
    const torch = kerasToPytorch(keras);
    expect(torch.bias_ih_l0).toBeNull();
    expect(torch.bias_hh_l0).toBeNull();
    const onlyHh = pytorchToKeras({ weight_ih_l0: W, weight_hh_l0: U, bias_hh_l0: b });
    expect(values(onlyHh.bias)).toEqual(values(b));
    const none = pytorchToKeras({ weight_ih_l0: W, weight_hh_l0: U });
    expect(none.bias).toBeNull();
    disposeAll(W, U, b, keras.kernel, keras.recurrentKernel, textbook.W, textbook.U, torch.weight_ih_l0, torch.weight_hh_l0);
    disposeAll(onlyHh.kernel, onlyHh.recurrentKernel, onlyHh.bias, none.kernel, none.recurrentKernel);
  });
});

test('outputs are new tensors: disposing the inputs leaves them usable', () => {
  const W = seededTensor([H, D], 17);
  const U = seededTensor([H, H], 18);
  const b = seededTensor([H], 19);
  const expected = values(b);
  const keras = textbookToKeras({ W, U, b });
  disposeAll(W, U, b);
  expect(values(keras.bias)).toEqual(expected);
  disposeAll(keras.kernel, keras.recurrentKernel, keras.bias);
});

test('plain nested arrays are accepted', async () => {
  await expectNoLeak(() => {
    const keras = textbookToKeras({ W: [[1, 2, 3], [4, 5, 6]], U: [[1, 0], [0, 1]], b: [7, 8] });
    expect(keras.kernel.arraySync()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(values(keras.bias)).toEqual([7, 8]);
    disposeAll(keras.kernel, keras.recurrentKernel, keras.bias);
  });
});

test('PyTorch weights through the converter give the PyTorch equation h_t = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)', async () => {
  const T = 3;
  const Wih = Array.from(seededArray(H * D, 20)); // [H, D]
  const Whh = Array.from(seededArray(H * H, 21)); // [H, H]
  const bih = Array.from(seededArray(H, 22)); // [H]
  const bhh = Array.from(seededArray(H, 23)); // [H]
  const x = Array.from(seededArray(T * D, 24)); // [T, D]
  let h = new Array<number>(H).fill(0);
  for (let t = 0; t < T; t++) {
    const hNext: number[] = [];
    for (let j = 0; j < H; j++) {
      let a = bih[j] + bhh[j];
      for (let i = 0; i < D; i++) a += x[t * D + i] * Wih[j * D + i]; // (x W_ihᵀ)_j
      for (let k = 0; k < H; k++) a += h[k] * Whh[j * H + k]; // (h W_hhᵀ)_j
      hNext.push(Math.tanh(a));
    }
    h = hNext;
  }
  await expectNoLeak(() => {
    const weight_ih_l0 = tf.tensor2d(Wih, [H, D]);
    const weight_hh_l0 = tf.tensor2d(Whh, [H, H]);
    const keras = pytorchToKeras({ weight_ih_l0, weight_hh_l0, bias_ih_l0: bih, bias_hh_l0: bhh });
    // The float64 reference on the converted (float32) weights: only the bias sum was rounded.
    const { last } = referenceForward(
      Float64Array.from(x),
      { B: 1, T, D },
      {
        kernel: Float64Array.from(keras.kernel.dataSync()),
        recurrentKernel: Float64Array.from(keras.recurrentKernel.dataSync()),
        bias: Float64Array.from(values(keras.bias)),
        H,
      },
      null,
      'tanh',
    );
    for (let j = 0; j < H; j++) expect(Math.abs(last[j] - h[j])).toBeLessThan(1e-6);
    disposeAll(weight_ih_l0, weight_hh_l0, keras.kernel, keras.recurrentKernel, keras.bias);
  });
});

describe('wrong shapes give errors naming expected and given, and leak nothing', () => {
  const cases: Array<[string, () => unknown, string]> = [
    [
      'weight_ih_l0 of rank 3',
      () => pytorchToKeras({ weight_ih_l0: tf.zeros([3, 4, 5]), weight_hh_l0: tf.zeros([3, 3]) }),
      'expected weight_ih_l0 [H, D], got [3, 4, 5]',
    ],
    [
      'weight_hh_l0 not [H, H]',
      () => pytorchToKeras({ weight_ih_l0: tf.zeros([4, 3]), weight_hh_l0: tf.zeros([4, 5]) }),
      'expected weight_hh_l0 [H, H] = [4, 4], got [4, 5]',
    ],
    [
      'bias_ih_l0 of the wrong size',
      () => pytorchToKeras({ weight_ih_l0: tf.zeros([4, 3]), weight_hh_l0: tf.zeros([4, 4]), bias_ih_l0: tf.zeros([3]) }),
      'expected bias_ih_l0 [H] = [4], got [3]',
    ],
    [
      'bias_hh_l0 of the wrong size',
      () => pytorchToKeras({ weight_ih_l0: tf.zeros([4, 3]), weight_hh_l0: tf.zeros([4, 4]), bias_hh_l0: tf.zeros([5]) }),
      'expected bias_hh_l0 [H] = [4], got [5]',
    ],
    ['W of rank 1', () => textbookToKeras({ W: tf.zeros([4]), U: tf.zeros([4, 4]) }), 'expected W [H, D], got [4]'],
    [
      'U with the input size',
      () => textbookToKeras({ W: tf.zeros([4, 3]), U: tf.zeros([3, 3]) }),
      'expected U [H, H] = [4, 4], got [3, 3]',
    ],
    [
      'b of the wrong size',
      () => textbookToKeras({ W: tf.zeros([4, 3]), U: tf.zeros([4, 4]), b: tf.zeros([3]) }),
      'expected b [H] = [4], got [3]',
    ],
    [
      'kernel of rank 3',
      () => kerasToTextbook({ kernel: tf.zeros([1, 3, 4]), recurrentKernel: tf.zeros([4, 4]) }),
      'expected kernel [D, H], got [1, 3, 4]',
    ],
    [
      'recurrentKernel not [H, H] (H from kernel [D, H])',
      () => kerasToPytorch({ kernel: tf.zeros([10, 3]), recurrentKernel: tf.zeros([10, 3]) }),
      'expected recurrentKernel [H, H] = [3, 3], got [10, 3]',
    ],
    [
      'bias of the wrong size',
      () => kerasToPytorch({ kernel: tf.zeros([10, 3]), recurrentKernel: tf.zeros([3, 3]), bias: tf.zeros([10]) }),
      'expected bias [H] = [3], got [10]',
    ],
    ['a zero-sized dimension', () => kerasToTextbook({ kernel: tf.zeros([0, 3]), recurrentKernel: tf.zeros([3, 3]) }), 'expected kernel [D, H], got [0, 3]'],
    [
      'a ragged nested array (tf.tensor would fill it with NaN)',
      () => textbookToKeras({ W: [[1, 2, 3], [1]], U: [[1, 0], [0, 1]] }),
      'expected W[1] an array of 3 entries (W must be rectangular; its first entries give the shape [2, 3]), got an array of 1 entry',
    ],
    [
      'a string entry',
      () => textbookToKeras({ W: [[1, 2, 3], [4, 5, 6]], U: [[1, 0], [0, '1' as unknown as number]] }),
      "expected U[1][1] a number, got a string ('1')",
    ],
    [
      'an array where a number belongs',
      () => pytorchToKeras({ weight_ih_l0: [[1], [2]], weight_hh_l0: [[1, 0], [0, 1]], bias_ih_l0: [1, [2] as unknown as number] }),
      'expected bias_ih_l0[1] a number, got an array of 1 entry',
    ],
    [
      'a number where a row belongs',
      () => kerasToPytorch({ kernel: [[1, 2], 3 as unknown as number[]], recurrentKernel: [[1, 0], [0, 1]] }),
      'expected kernel[1] an array of 2 entries (kernel must be rectangular; its first entries give the shape [2, 2]), got a number',
    ],
    [
      'an int32 weight',
      () => textbookToKeras({ W: tf.zeros([4, 3], 'int32'), U: tf.zeros([4, 4]) }),
      'expected W of dtype float32, got int32',
    ],
  ];
  test.each(cases)('%s', async (_name, convert, message) => {
    await expectNoLeak(() => {
      // The inputs are made inside tidy so that only the converter's own tensors could leak.
      tf.tidy(() => {
        expect(convert).toThrow(message);
      });
    });
  });

  test('a disposed tensor', () => {
    const W = tf.zeros([4, 3]);
    const U = tf.zeros([4, 4]);
    W.dispose();
    expect(() => textbookToKeras({ W, U })).toThrow('expected W a live tensor, got a disposed one');
    U.dispose();
  });
});
