/**
 * Drop-in layers, proof 5: structure. Three of our layers stacked in a tf.sequential; the stock
 * tf.layers.bidirectional wrapping ours, in every mergeMode; a functional model passing initial
 * states and taking returnState. Each against the same model made of stock layers, on copied
 * weights: the same predictions and, after fit(), the same weights. Also: our ∂x is skipped only
 * for a layer fed by the model's input (the layers after it still send their ∂x back).
 */
import * as tf from '@tensorflow/tfjs';
import * as sequence from '../src/scan/sequence';
import { backendsUnderTest, seededTensor, useBackend } from './helpers';
import { CELL_KINDS, CellKind, copyWeights, ourLayer, outputsRelErr, seedWeights, stockLayer, weightsRelErr } from './layers_helpers';

const [B, T, D, H] = [4, 5, 3, 4];
const TOL = 1e-5;
type Maker = (kind: CellKind, args: Parameters<typeof ourLayer>[1]) => tf.layers.Layer;

/** Trains both for 2 epochs of 2 batches and returns [predict error before, weights error after]. */
async function compareFit(ours: tf.LayersModel, stock: tf.LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor | tf.Tensor[]): Promise<[number, number]> {
  for (const m of [ours, stock]) m.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
  const [p, q] = [ours.predict(x), stock.predict(x)] as Array<tf.Tensor | tf.Tensor[]>;
  const predictErr = await outputsRelErr(p, q);
  tf.dispose([p, q]);
  for (const m of [ours, stock]) await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
  return [predictErr, await weightsRelErr(ours, stock)];
}

describe.each(backendsUnderTest())('drop-in layers: stacking, bidirectional, functional (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each(CELL_KINDS)('%s: three stacked layers in a tf.sequential; ∂x skipped for the first only', async (kind) => {
    const stack = (make: Maker) =>
      tf.sequential({
        layers: [
          make(kind, { units: H, inputShape: [T, D], returnSequences: true, recurrentActivation: 'sigmoid' }),
          make(kind, { units: H + 1, returnSequences: true, recurrentActivation: 'sigmoid' }),
          make(kind, { units: H, recurrentActivation: 'sigmoid' }),
          tf.layers.dense({ units: 2 }),
        ],
      });
    const ours = stack(ourLayer);
    const stock = stack(stockLayer);
    seedWeights(ours, 80);
    copyWeights(ours, stock);
    const x = seededTensor([B, T, D], 21);
    const y = seededTensor([B, 2], 22);
    const backward = jest.spyOn(sequence, 'backwardThroughTime');
    const [predictErr, fitErr] = await compareFit(ours, stock, x, y);
    // 2 epochs × 2 batches × 3 layers; backprop meets the last layer first.
    expect(backward.mock.calls.map((c) => c[3]?.input)).toEqual(new Array(4).fill([true, true, false]).flat());
    console.log(`${backend} stacked ${kind}: predict ${predictErr.toExponential(2)}, fit ${fitErr.toExponential(2)}`);
    expect(predictErr).toBeLessThan(TOL);
    expect(fitErr).toBeLessThan(TOL);
    tf.dispose([x, y]);
    ours.dispose();
    stock.dispose();
  });

  const MERGES: Array<[CellKind, 'concat' | 'sum' | 'ave' | 'mul', boolean]> = [
    ['lstm', 'concat', true],
    ['lstm', 'sum', false],
    ['gru', 'ave', true],
    ['gru', 'mul', false],
    ['simpleRNN', 'concat', false],
    ['gru', 'concat', false],
  ];
  it.each(MERGES)('%s in tf.layers.bidirectional (mergeMode %s, returnSequences %s)', async (kind, mergeMode, returnSequences) => {
    const model = (make: Maker) => {
      const layer = make(kind, { units: H, returnSequences, recurrentActivation: 'sigmoid' });
      return tf.sequential({ layers: [tf.layers.bidirectional({ layer: layer as tf.RNN, mergeMode, inputShape: [T, D] }), tf.layers.dense({ units: 2 })] });
    };
    const ours = model(ourLayer);
    const stock = model(stockLayer);
    seedWeights(ours, 90);
    copyWeights(ours, stock);
    const x = seededTensor([B, T, D], 23);
    const y = seededTensor(returnSequences ? [B, T, 2] : [B, 2], 24);
    const [predictErr, fitErr] = await compareFit(ours, stock, x, y);
    console.log(`${backend} bidirectional ${kind} ${mergeMode}: predict ${predictErr.toExponential(2)}, fit ${fitErr.toExponential(2)}`);
    expect(predictErr).toBeLessThan(TOL);
    expect(fitErr).toBeLessThan(TOL);
    tf.dispose([x, y]);
    ours.dispose();
    stock.dispose();
  });

  it('bidirectional with mergeMode null: both directions out of a functional model', async () => {
    const model = (make: Maker) => {
      const input = tf.input({ shape: [T, D] });
      // mergeMode null (not undefined, which means 'concat') returns both directions; its type omits null.
      const [f, b] = tf.layers.bidirectional({ layer: make('lstm', { units: H, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: null as unknown as undefined }).apply(input) as tf.SymbolicTensor[];
      return tf.model({ inputs: input, outputs: [f, b] });
    };
    const ours = model(ourLayer);
    const stock = model(stockLayer);
    seedWeights(ours, 95);
    copyWeights(ours, stock);
    const x = seededTensor([B, T, D], 25);
    const [p, q] = [ours.predict(x), stock.predict(x)] as tf.Tensor[][];
    expect(p).toHaveLength(2);
    expect(await outputsRelErr(p, q)).toBeLessThan(TOL);
    tf.dispose([x, ...p, ...q]);
    ours.dispose();
    stock.dispose();
  });

  it.each(CELL_KINDS)('%s in a functional model: initial states from other inputs, returnState out', async (kind) => {
    const S = kind === 'lstm' ? 2 : 1;
    /** The layer applied to x with initial states from inputs; outputs [head on h_T] or [sequence, ...states]. */
    const model = (make: Maker, withStates: boolean) => {
      const input = tf.input({ shape: [T, D] });
      const states = Array.from({ length: S }, () => tf.input({ shape: [H] }));
      const layer = make(kind, { units: H, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' });
      const outs = layer.apply(input, { initialState: states }) as tf.SymbolicTensor[];
      const head = tf.layers.dense({ units: 2 }).apply(outs[1]) as tf.SymbolicTensor;
      return tf.model({ inputs: [input, ...states], outputs: withStates ? outs : [head] });
    };
    const x = [seededTensor([B, T, D], 26), ...Array.from({ length: S }, (_, k) => seededTensor([B, H], 27 + k))];
    const [oursAll, stockAll] = [model(ourLayer, true), model(stockLayer, true)];
    seedWeights(oursAll, 97);
    copyWeights(oursAll, stockAll);
    const [p, q] = [oursAll.predict(x), stockAll.predict(x)] as tf.Tensor[][];
    expect(p.map((t) => t.shape)).toEqual([[B, T, H], ...new Array(S).fill([B, H])]);
    const statesErr = await outputsRelErr(p, q);
    expect(statesErr).toBeLessThan(TOL);
    const ours = model(ourLayer, false);
    const stock = model(stockLayer, false);
    seedWeights(ours, 98);
    copyWeights(ours, stock);
    const y = seededTensor([B, 2], 29);
    const [predictErr, fitErr] = await compareFit(ours, stock, x, y);
    console.log(`${backend} functional ${kind} with initial states: sequence and states ${statesErr.toExponential(2)}, predict ${predictErr.toExponential(2)}, fit ${fitErr.toExponential(2)}`);
    expect(predictErr).toBeLessThan(TOL);
    expect(fitErr).toBeLessThan(TOL);
    tf.dispose([...x, ...p, ...q, y]);
    [oursAll, stockAll, ours, stock].forEach((m) => m.dispose());
  });

  it.each([false, true])('fit() of a model fetching several outputs of a layer given initial states (stock %s)', async (stock) => {
    const input = tf.input({ shape: [T, D] });
    const h0 = tf.input({ shape: [H] });
    const make = stock ? stockLayer : ourLayer;
    const outs = make('gru', { units: H, returnState: true }).apply(input, { initialState: [h0] }) as tf.SymbolicTensor[];
    const model = tf.model({ inputs: [input, h0], outputs: outs });
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    const x = [seededTensor([B, T, D], 30), seededTensor([B, H], 31)];
    const ys = [seededTensor([B, H], 32), seededTensor([B, H], 33)]; // output h_T, state h_T
    const fit = () => model.fit(x, ys, { epochs: 3, batchSize: 2, verbose: 0 });
    if (stock) {
      // tf.RNN.apply writes initialState into fit's one shared kwargs object, and the next call throws.
      await expect(fit()).rejects.toThrow(/neither initialState or constants should be provided/);
    } else {
      const loss = (await fit()).history.loss as number[];
      expect(loss[2]).toBeLessThan(loss[0]);
    }
    tf.dispose([...x, ...ys]);
    model.dispose();
  });
});
