/**
 * Embedding models train on wasm (src/platform/backend/wasm_kernels.ts): the UnsortedSegmentSum
 * kernel registered for wasm against the cpu backend's (the same numbers), the gradient of tf.gather
 * through it, and fit() of stock `tf.layers.embedding({ maskZero: true })` → GRU → Dense on wasm,
 * with our GRU and with stock's, ending at the weights the same fit reaches on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import { layers } from '../src';
import { missingKernels } from '../src/platform';
import { WASM_EXTRA_KERNELS } from '../src/platform/backend/wasm_kernels';
import { expectNoLeak, relErr, seededArray, seededTensor, useBackend } from './helpers';
import { seedWeights, weightValues, setWeightValues } from './layers_helpers';

const [B, T, V, E, H] = [8, 6, 12, 5, 7]; // batch, steps, vocabulary, embedding width, units

/** Runs fn on a backend, reading its tensors back as arrays. */
async function on<R>(backend: string, fn: () => Promise<R>): Promise<R> {
  await useBackend(backend);
  return fn();
}

async function segmentSum(backend: string, x: Float32Array, xShape: number[], ids: number[], idsShape: number[], n: number, dtype: 'float32' | 'int32' = 'float32'): Promise<Float32Array | Int32Array | Uint8Array> {
  return on(backend, async () => {
    const [xt, it] = [tf.tensor(dtype === 'int32' ? Int32Array.from(x, (v) => Math.round(v * 100)) : x, xShape, dtype), tf.tensor(ids, idsShape, 'int32')];
    const out = tf.unsortedSegmentSum(xt, it as tf.Tensor1D, n);
    const values = await out.data();
    tf.dispose([xt, it, out]);
    return values;
  });
}

test('wasm gets the kernels it lacks when the backend is set up, and only those', async () => {
  await useBackend('wasm');
  expect(missingKernels(['UnsortedSegmentSum', 'GatherV2', 'Reshape', 'Transpose'], 'wasm')).toEqual([]);
  expect(WASM_EXTRA_KERNELS).toEqual(['UnsortedSegmentSum']);
});

test('UnsortedSegmentSum on wasm gives the cpu backend’s numbers, out-of-range ids dropped', async () => {
  const cases: Array<[number[], number[], number[], number]> = [
    [[10, 3, 2], [3, 0, 3, 6, 1, 3, -1, 7, 0, 2], [10], 7], // a negative and a too-large id
    [[12, 5], [2, 0, 2, 1, 1, 2, 0, 0, 2, 2, 1, 0], [12], 3],
    [[200, 16], Array.from({ length: 200 }, (_, i) => (i * 7919) % 13), [200], 13],
  ];
  for (const [xShape, ids, idsShape, n] of cases) {
    const x = seededArray(xShape.reduce((p, s) => p * s, 1), n, -3, 3);
    await expectNoLeak(async () => {
      const wasm = await segmentSum('wasm', x, xShape, ids, idsShape, n);
      const cpu = await segmentSum('cpu', x, xShape, ids, idsShape, n);
      expect(Array.from(wasm)).toEqual(Array.from(cpu));
      expect(Array.from(await segmentSum('wasm', x, xShape, ids, idsShape, n, 'int32'))).toEqual(Array.from(await segmentSum('cpu', x, xShape, ids, idsShape, n, 'int32')));
    });
  }
});

test('the gradient of tf.gather (an Embedding lookup) on wasm equals cpu’s', async () => {
  const grads: Float32Array[] = [];
  for (const backend of ['wasm', 'cpu']) {
    grads.push(
      await on(backend, async () => {
        const table = seededTensor([V, E], 3);
        const idx = tf.tensor2d(Array.from({ length: B * T }, (_, i) => (i * 5) % V), [B, T], 'int32');
        const dy = seededTensor([B, T, E], 4);
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, idx), dy)))(table);
        const values = (await g.data()) as Float32Array;
        tf.dispose([table, idx, dy, g]);
        return values;
      }),
    );
  }
  expect(relErr(grads[0], grads[1])).toBe(0);
});

/** Token sequences with zero padding at the end (maskZero), and targets. */
function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const tokens = new Float32Array(B * T);
  const lengths = seededArray(B, 5, 2, T + 1);
  const draw = seededArray(B * T, 6, 1, V);
  for (let b = 0; b < B; b++) for (let t = 0; t < Math.floor(lengths[b]); t++) tokens[b * T + t] = Math.floor(draw[b * T + t]);
  return { x: tf.tensor2d(tokens, [B, T]), y: seededTensor([B, 1], 7) as tf.Tensor2D };
}

function embeddingModel(ours: boolean): tf.Sequential {
  const gruArgs = { units: H, recurrentActivation: 'sigmoid' } as const;
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: V, outputDim: E, maskZero: true, inputLength: T }),
      ours ? layers.gru(gruArgs) : tf.layers.gru(gruArgs),
      tf.layers.dense({ units: 1 }),
    ],
  });
}

/** fit() for 3 epochs from seeded weights; returns the losses and the final weights. */
async function fitOn(backend: string, ours: boolean, start: Array<{ shape: number[]; values: Float32Array }> | null): Promise<{ losses: number[]; weights: Array<{ shape: number[]; values: Float32Array }> }> {
  return on(backend, async () => {
    const { x, y } = data();
    const m = embeddingModel(ours);
    if (start === null) seedWeights(m, 8);
    else setWeightValues(m, start);
    m.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    const before = tf.memory().numTensors;
    const h = await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const weights = await weightValues(m);
    m.dispose();
    tf.dispose([x, y]);
    return { losses: h.history.loss as number[], weights };
  });
}

describe.each([
  ['our GRU', true],
  ['stock GRU', false],
])('Embedding(maskZero) → %s → Dense', (_name, ours) => {
  test('trains with fit() on wasm, to the weights cpu reaches', async () => {
    const start = (await on('cpu', async () => {
      const m = embeddingModel(ours as boolean);
      seedWeights(m, 8);
      const w = await weightValues(m);
      m.dispose();
      return w;
    })) as Array<{ shape: number[]; values: Float32Array }>;
    const wasm = await fitOn('wasm', ours as boolean, start);
    const cpu = await fitOn('cpu', ours as boolean, start);
    expect(wasm.losses[2]).toBeLessThan(wasm.losses[0]);
    expect(relErr(wasm.weights[0].values, start[0].values)).toBeGreaterThan(1e-3); // the embedding learned
    wasm.weights.forEach((w, k) => expect({ k, err: relErr(w.values, cpu.weights[k].values) <= 1e-5 }).toEqual({ k, err: true }));
    expect(relErr(wasm.losses, cpu.losses)).toBeLessThanOrEqual(1e-5);
  });
});
