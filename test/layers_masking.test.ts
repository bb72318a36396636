/**
 * Drop-in layers, proof 4: masks. Behind tf.layers.embedding({ maskZero: true }) and
 * tf.layers.masking, on padded batches (padding before, inside and after the tokens), our layers
 * predict what the stock layers predict and fit() ends at the same weights (those of a layer before
 * ours included, so ∂x through masked steps is checked too), with returnSequences and goBackwards
 * either way. On webgpu the stock side runs on cpu (see onStockBackend).
 */
import * as tf from '@tensorflow/tfjs';
import { backendsUnderTest, relErr, seededTensor, useBackend } from './helpers';
import { CELL_KINDS, CellKind, onStockBackend, ourLayer, seedWeights, setWeightValues, stockLayer, weightValues } from './layers_helpers';

const [B, T, H, VOCAB, E, D] = [4, 7, 4, 9, 3, 3];
const TOL = 1e-5;

/** Token ids [B, T], 0 = padding: at the end of rows 0 and 2, the start of row 1, inside row 3. */
const TOKENS = [
  [3, 1, 4, 1, 5, 0, 0],
  [0, 0, 0, 2, 6, 5, 3],
  [5, 8, 0, 0, 0, 0, 0],
  [7, 2, 0, 0, 8, 1, 8],
];
/** Which steps of the real-valued input are kept (the rest are zeros, which tf.layers.masking masks). */
const KEEP = [
  [1, 1, 1, 1, 0, 0, 0],
  [0, 0, 1, 1, 1, 1, 1],
  [1, 0, 1, 0, 1, 0, 1],
  [1, 1, 1, 1, 1, 1, 1],
];

interface Run {
  predicted: Float32Array;
  weights: Float32Array[];
}
type Weights = Awaited<ReturnType<typeof weightValues>>;

/**
 * Builds `front → layer → dense(2)` on the current backend with the given weights, predicts x,
 * fits x → y for `epochs` (batches of `batchSize`) and reads everything back.
 */
async function run(front: () => tf.layers.Layer[], layer: tf.layers.Layer, weights: Weights | null, data: () => { x: tf.Tensor; y: tf.Tensor }, epochs: number, batchSize: number): Promise<Run & { start: Weights }> {
  const m = tf.sequential({ layers: [...front(), layer, tf.layers.dense({ units: 2 })] });
  if (weights === null) seedWeights(m, 60);
  else setWeightValues(m, weights);
  const start = await weightValues(m);
  m.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
  const { x, y } = data();
  const p = m.predict(x) as tf.Tensor;
  const predicted = (await p.data()) as Float32Array;
  await m.fit(x, y, { epochs, batchSize, shuffle: false, verbose: 0 });
  const out = (await weightValues(m)).map((w) => w.values);
  tf.dispose([x, y, p]);
  m.optimizer.dispose();
  m.dispose();
  return { predicted, weights: out, start };
}

function worst(a: Float32Array[], b: Float32Array[]): number {
  return Math.max(...a.map((v, i) => relErr(v, b[i])));
}

type Case = [CellKind, boolean, boolean];
const CASES: Case[] = CELL_KINDS.flatMap((k) => [
  [k, false, false],
  [k, true, false],
  [k, false, true],
  [k, true, true],
] as Case[]);

describe.each(backendsUnderTest())('drop-in layers: masking parity with tf.layers (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CASES)('%s behind embedding({ maskZero }) (returnSequences %s, goBackwards %s): predict and fit', async (kind, returnSequences, goBackwards) => {
    // The embedding is frozen (its gradient needs UnsortedSegmentSum, which wasm lacks); the dense
    // layer after it (masks pass through) is trained, so ∂x through the masked steps is checked.
    const front = (maskZero: boolean) => () => [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: E, maskZero, inputLength: T, trainable: false }),
      tf.layers.dense({ units: E }),
    ];
    const data = () => ({ x: tf.tensor2d(TOKENS, [B, T], 'int32'), y: seededTensor(returnSequences ? [B, T, 2] : [B, 2], 11) });
    const args = { units: H, returnSequences, goBackwards, recurrentActivation: 'sigmoid' as const };
    const ours = await run(front(true), ourLayer(kind, args), null, data, 2, B);
    const stock = await onStockBackend(backend, true, () => run(front(true), stockLayer(kind, args), ours.start, data, 2, B));
    const unmasked = await onStockBackend(backend, false, () => run(front(false), stockLayer(kind, args), ours.start, data, 0, B));
    const predictErr = relErr(ours.predicted, stock.predicted);
    const fitErr = worst(ours.weights, stock.weights);
    console.log(`${backend} masking ${kind} rs=${returnSequences} gb=${goBackwards}: predict ${predictErr.toExponential(2)}, fit ${fitErr.toExponential(2)}`);
    expect(relErr(unmasked.predicted, stock.predicted)).toBeGreaterThan(1e-3); // the mask matters
    expect(predictErr).toBeLessThan(TOL);
    expect(fitErr).toBeLessThan(TOL);
  });

  it.each(CELL_KINDS)('%s behind tf.layers.masking on real-valued padded input: predict and fit', async (kind) => {
    const front = () => [tf.layers.masking({ maskValue: 0, inputShape: [T, D] })];
    const data = () => ({
      x: tf.tidy(() => tf.mul(seededTensor([B, T, D], 12), tf.expandDims(tf.tensor2d(KEEP, [B, T]), 2))),
      y: seededTensor([B, 2], 13),
    });
    const args = { units: H, recurrentActivation: 'sigmoid' as const };
    const ours = await run(front, ourLayer(kind, args), null, data, 3, 2);
    const stock = await onStockBackend(backend, true, () => run(front, stockLayer(kind, args), ours.start, data, 3, 2));
    const predictErr = relErr(ours.predicted, stock.predicted);
    const fitErr = worst(ours.weights, stock.weights);
    console.log(`${backend} masking layer ${kind}: predict ${predictErr.toExponential(2)}, fit ${fitErr.toExponential(2)}`);
    expect(predictErr).toBeLessThan(TOL);
    expect(fitErr).toBeLessThan(TOL);
  });
});
