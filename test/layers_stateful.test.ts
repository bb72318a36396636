/**
 * Drop-in layers, proof 6: stateful layers and truncated BPTT. A stateful layer run on consecutive
 * chunks gives what one call on the whole sequence gives; it matches the stock stateful layer
 * batch after batch; resetStates() on the layer and on the model start it over;
 * fitTruncatedBPTT equals tf.layers' stateful trainOnBatch chunk by chunk; and its memory does not
 * grow with T (live tensors constant across chunks, peak bytes the same for T and 4T), where full
 * BPTT's grows.
 */
import * as tf from '@tensorflow/tfjs';
import { fitTruncatedBPTT } from '../src/layers/truncated_bptt';
import { backendsUnderTest, seededTensor, useBackend } from './helpers';
import { CELL_KINDS, CellKind, copyWeights, ourLayer, outputsRelErr, seedWeights, stockLayer, weightsRelErr } from './layers_helpers';

const [B, D, H] = [2, 3, 4];
const TOL = 1e-5;
type Maker = typeof ourLayer;

function statefulModel(make: Maker, kind: CellKind, k: number | null): tf.Sequential {
  return tf.sequential({
    layers: [
      make(kind, { units: H, stateful: true, returnSequences: true, batchInputShape: [B, k, D], recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 1 }),
    ],
  });
}

const chunksOf = (x: tf.Tensor, k: number): tf.Tensor[] =>
  Array.from({ length: x.shape[1]! / k }, (_, c) => tf.slice(x, [0, c * k, 0], [x.shape[0], k, x.shape[2]!]));

describe.each(backendsUnderTest())('drop-in layers: stateful and truncated BPTT (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CELL_KINDS)('%s: stateful over 3 chunks = one call on the whole sequence; = the stock stateful layer; resetStates starts over', async (kind) => {
    const [T, k] = [12, 4];
    const ours = statefulModel(ourLayer, kind, null);
    const stock = statefulModel(stockLayer, kind, null);
    const whole = tf.sequential({ layers: [ourLayer(kind, { units: H, returnSequences: true, inputShape: [T, D], recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 1 })] });
    seedWeights(ours, 100);
    copyWeights(ours, stock);
    copyWeights(ours, whole);
    const x = seededTensor([B, T, D], 41);
    const parts = chunksOf(x, k);
    const oursOut = parts.map((p) => ours.predict(p) as tf.Tensor);
    const stockOut = parts.map((p) => stock.predict(p) as tf.Tensor);
    const joined = tf.concat(oursOut, 1);
    const full = whole.predict(x) as tf.Tensor;
    expect(await outputsRelErr(joined, full)).toBeLessThan(TOL);
    expect(await outputsRelErr(oursOut, stockOut)).toBeLessThan(TOL);
    // The last chunk differs from the first unless the states were reset.
    const again = ours.predict(parts[0]) as tf.Tensor;
    expect(await outputsRelErr(again, oursOut[0])).toBeGreaterThan(1e-3);
    ours.layers[0].resetStates();
    const afterLayerReset = ours.predict(parts[0]) as tf.Tensor;
    expect(await outputsRelErr(afterLayerReset, oursOut[0])).toBe(0);
    ours.resetStates();
    const afterModelReset = ours.predict(parts[0]) as tf.Tensor;
    expect(await outputsRelErr(afterModelReset, oursOut[0])).toBe(0);
    tf.dispose([x, ...parts, ...oursOut, ...stockOut, joined, full, again, afterLayerReset, afterModelReset]);
    [ours, stock, whole].forEach((m) => m.dispose());
  });

  it.each(CELL_KINDS)('%s: fitTruncatedBPTT = the stock stateful model’s trainOnBatch chunk by chunk', async (kind) => {
    const [T, k] = [20, 5];
    const ours = statefulModel(ourLayer, kind, k);
    const stock = statefulModel(stockLayer, kind, k);
    seedWeights(ours, 110);
    copyWeights(ours, stock);
    for (const m of [ours, stock]) m.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = seededTensor([B, T, D], 42);
    const y = seededTensor([B, T, 1], 43);
    const losses = await fitTruncatedBPTT(ours, x, y, { chunkLength: k });
    expect(losses).toHaveLength(T / k);
    stock.resetStates();
    const [xs, ys] = [chunksOf(x, k), chunksOf(y, k)];
    const stockLosses: number[] = [];
    for (let c = 0; c < xs.length; c++) stockLosses.push((await stock.trainOnBatch(xs[c], ys[c])) as number);
    const err = await weightsRelErr(ours, stock);
    console.log(`${backend} truncated BPTT ${kind}: weights after ${T / k} chunks differ by ${err.toExponential(2)}`);
    expect(err).toBeLessThan(TOL);
    losses.forEach((l, c) => expect(Math.abs(l - stockLosses[c])).toBeLessThan(1e-5 * Math.max(1, stockLosses[c])));
    tf.dispose([x, y, ...xs, ...ys]);
    ours.dispose();
    stock.dispose();
  });

  it('fitTruncatedBPTT: live tensors constant across chunks; peak bytes the same for T and 4T (full BPTT: 4× more)', async () => {
    const k = 25;
    /** Peak tensor bytes above what was live before, over training on a [1, T, 1] sequence. */
    const peakOf = async (T: number, truncated: boolean): Promise<{ peak: number; live: number[] }> => {
      const layer = ourLayer('lstm', { units: 8, returnSequences: true, recurrentActivation: 'sigmoid', ...(truncated ? { stateful: true, batchInputShape: [1, k, 1] } : { inputShape: [T, 1] }) });
      const model = tf.sequential({ layers: [layer, tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
      const x = seededTensor([1, T, 1], 44);
      const y = seededTensor([1, T, 1], 45);
      const live: number[] = [];
      const before = tf.memory().numBytes;
      const info = await tf.profile(async () => {
        if (truncated) await fitTruncatedBPTT(model, x, y, { chunkLength: k, onChunkEnd: () => void live.push(tf.memory().numTensors) });
        else await model.trainOnBatch(x, y);
      });
      tf.dispose([x, y]);
      model.dispose();
      return { peak: info.peakBytes - before, live };
    };
    const short = await peakOf(100, true);
    const long = await peakOf(400, true);
    expect(new Set(long.live.slice(1)).size).toBe(1); // after the first chunk (optimizer state made), nothing accumulates
    const fullShort = await peakOf(100, false);
    const fullLong = await peakOf(400, false);
    console.log(`${backend} peak bytes, truncated k=${k}: T=100 ${short.peak}, T=400 ${long.peak}; full BPTT: T=100 ${fullShort.peak}, T=400 ${fullLong.peak}`);
    expect(long.peak).toBe(short.peak); // x and y are made before the count starts
    expect(fullLong.peak).toBeGreaterThan(3 * fullShort.peak);
  });

  it('refuses a model without stateful layers, targets of another length, a batch of another size', async () => {
    const plain = tf.sequential({ layers: [ourLayer('gru', { units: H, returnSequences: true, inputShape: [4, D] })] });
    plain.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = seededTensor([B, 8, D], 46);
    const [y, y7] = [tf.zeros([B, 8, 1]), tf.zeros([B, 7, 1])];
    await expect(fitTruncatedBPTT(plain, x, y, { chunkLength: 4 })).rejects.toThrow(/expected a model with stateful recurrent layers/);
    const stateful = statefulModel(ourLayer, 'gru', 4);
    stateful.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(fitTruncatedBPTT(stateful, x, y7, { chunkLength: 4 })).rejects.toThrow(/expected per-step targets y \[2, 8, \.\.\.\] for x \[2, 8, 3\], got \[2, 7, 1\]/);
    await expect(fitTruncatedBPTT(stateful, x, y, { chunkLength: 0 })).rejects.toThrow(/expected chunkLength to be a positive integer, got 0/);
    const layer = stateful.layers[0];
    const three = seededTensor([3, 4, D], 47);
    expect(() => layer.apply(three)).toThrow(/incompatible with layer .*expected shape=2,,3, found shape=3,4,3/); // tf.layers' input check
    // Called directly (as tf.layers.bidirectional does), the layer's own check says it:
    expect(() => layer.call(three, {})).toThrow(/expected initial state 0 of .* \[3, 4\], got \[2, 4\] \(a stateful layer keeps its batch size/);
    tf.dispose([x, y, y7, three]);
    plain.dispose();
    stateful.dispose();
  });
});
