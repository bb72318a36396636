/**
 * Our layers inside models nested in models, and under tfjs's test mode. A model holding our layer,
 * used inside another model after a Dense, must send its ∂x back to that Dense (the ∂x decision is
 * tfjs's own xs → loss rule, never a guess): after fit(), every weight equals stock's. tfjs's test
 * mode (IS_TEST) checks each kernel and customGrad for leaked data: fit() passes it.
 */
import * as tf from '@tensorflow/tfjs';
import { backendsUnderTest, seededTensor, useBackend } from './helpers';
import { CELL_KINDS, CellKind, copyWeights, ourLayer, seedWeights, stockLayer, weightsRelErr } from './layers_helpers';

const [B, T, D, H] = [4, 5, 3, 4];
type Maker = typeof ourLayer;

function nestedSequential(make: Maker, kind: CellKind): tf.LayersModel {
  const inner = tf.sequential({ layers: [make(kind, { units: H, inputShape: [T, 6], recurrentActivation: 'sigmoid' })] });
  return tf.sequential({ layers: [tf.layers.dense({ units: 6, inputShape: [T, D] }), inner, tf.layers.dense({ units: 2 })] });
}

function nestedFunctional(make: Maker, kind: CellKind): tf.LayersModel {
  const ix = tf.input({ shape: [T, 6] });
  const inner = tf.model({ inputs: ix, outputs: make(kind, { units: H, recurrentActivation: 'sigmoid' }).apply(ix) as tf.SymbolicTensor });
  const x = tf.input({ shape: [T, D] });
  const h = inner.apply(tf.layers.dense({ units: 6 }).apply(x)) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(h) as tf.SymbolicTensor });
}

async function fitBoth(ours: tf.LayersModel, stock: tf.LayersModel, seed: number): Promise<number> {
  seedWeights(ours, seed);
  copyWeights(ours, stock);
  const [x, y] = [seededTensor([B, T, D], seed + 1), seededTensor([B, 2], seed + 2)];
  for (const m of [ours, stock]) {
    m.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
  }
  tf.dispose([x, y]);
  return weightsRelErr(ours, stock);
}

describe.each(backendsUnderTest())('our layers in nested models (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CELL_KINDS)('%s: [dense, sequential[ours], dense] and its functional twin train every layer as stock', async (kind) => {
    for (const build of [nestedSequential, nestedFunctional]) {
      const [ours, stock] = [build(ourLayer, kind), build(stockLayer, kind)];
      const before = ours.getWeights()[0].clone();
      const err = await fitBoth(ours, stock, 120);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours.getWeights()[0], before))));
      const moved = (await diff.data())[0];
      diff.dispose();
      console.log(`${backend} nested ${build.name} ${kind}: weights after fit vs stock ${err.toExponential(2)}, first Dense moved by ${moved.toExponential(2)}`);
      expect(moved).toBeGreaterThan(1e-3); // the layer before ours trains
      expect(err).toBeLessThan(1e-5);
      before.dispose();
      ours.dispose();
      stock.dispose();
    }
  });
});

describe('tfjs test mode (IS_TEST)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  afterEach(() => tf.env().set('IS_TEST', false));

  it.each(CELL_KINDS)('%s: fit() and predict() pass tfjs’s leak check of every kernel, dropout on', async (kind) => {
    tf.env().set('IS_TEST', true);
    const m = tf.sequential({ layers: [ourLayer(kind, { units: H, inputShape: [T, D], dropout: 0.2, recurrentDropout: 0.1, seed: 1 }), tf.layers.dense({ units: 2 })] });
    m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const [x, y] = [seededTensor([B, T, D], 130), seededTensor([B, 2], 131)];
    const h = await m.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
    expect((h.history.loss as number[]).every(Number.isFinite)).toBe(true);
    tf.dispose([m.predict(x) as tf.Tensor, x, y]);
    m.dispose();
  });
});
