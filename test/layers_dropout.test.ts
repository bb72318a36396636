/**
 * Drop-in options, training semantics: dropout and recurrentDropout (masks from one deterministic
 * dropoutFunc, drawn as stock draws them), regularizers and constraints (Keras's semantics: the
 * penalties in the loss fit() minimises, the projections after every update), zeroOutputForMask.
 * Each against stock tf.layers where stock does the same (SimpleRNN, LSTM dropout), else against a
 * hand-written training loop of Keras's equations (GRU dropout; penalties; constraints).
 */
import * as tf from '@tensorflow/tfjs';
import { autodiffGRU, autodiffLSTM } from '../src/reference/autodiff';
import { backendsUnderTest, expectNoLeak, relErr, seededTensor, useBackend } from './helpers';
import { copyWeights, onStockBackend, ourLayer, seedWeights, setWeightValues, stockLayer, weightValues, weightsRelErr } from './layers_helpers';

const [B, T, D, H] = [4, 5, 3, 4];
const EPOCHS = 2;
const BATCH = 2;

/** A deterministic dropoutFunc: call k draws the seeded mask k (values 0 or 1 / (1 − rate)). */
function seededDropout(): (ones: tf.Tensor, rate: number) => tf.Tensor {
  let k = 0;
  return (ones, rate) => tf.tidy(() => tf.div(tf.cast(tf.greaterEqual(seededTensor(ones.shape, 500 + k++, 0, 1), rate), 'float32'), 1 - rate));
}

const model = (layer: tf.layers.Layer) => tf.sequential({ layers: [layer, tf.layers.dense({ units: 2 })] });

/** Trains with fit (no shuffle) and returns the model. */
async function fit(m: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<void> {
  m.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
  await m.fit(x, y, { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0 });
}

/** The hand-written loop fit() should equal: adam on the same batches, loss = mse + extra. */
function handFit(vars: tf.Variable[], x: tf.Tensor, y: tf.Tensor, lossOf: (xb: tf.Tensor, yb: tf.Tensor) => tf.Scalar, after?: () => void): void {
  const opt = tf.train.adam(0.02);
  for (let e = 0; e < EPOCHS; e++) {
    for (let b = 0; b < B; b += BATCH) {
      const [xb, yb] = [tf.slice(x, [b], [BATCH]), tf.slice(y, [b], [BATCH])];
      opt.minimize(() => lossOf(xb, yb), false, vars);
      after?.();
      tf.dispose([xb, yb]);
    }
  }
  opt.dispose();
}

const mse = (p: tf.Tensor, y: tf.Tensor) => tf.mean(tf.square(tf.sub(p, y))) as tf.Scalar;

describe.each(backendsUnderTest())('drop-in options in training (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(['simpleRNN', 'lstm'] as const)('%s: dropout 0.3 and recurrentDropout 0.2 end fit() at stock weights', async (kind) => {
    const args = (f: ReturnType<typeof seededDropout>) => ({ units: H, inputShape: [T, D], recurrentActivation: 'sigmoid' as const, dropout: 0.3, recurrentDropout: 0.2, dropoutFunc: f });
    const ours = model(ourLayer(kind, args(seededDropout())));
    const stock = model(stockLayer(kind, args(seededDropout())));
    seedWeights(ours, 60);
    copyWeights(ours, stock);
    const [x, y] = [seededTensor([B, T, D], 61), seededTensor([B, 2], 62)];
    await fit(ours, x, y);
    await fit(stock, x, y);
    const err = await weightsRelErr(ours, stock);
    console.log(`${backend} ${kind} dropout fit vs stock: ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    const p = ours.predict(x) as tf.Tensor; // inference: no masks, twice the same
    const q = ours.predict(x) as tf.Tensor;
    expect(relErr(await p.data(), await q.data())).toBe(0);
    tf.dispose([x, y, p, q]);
    ours.dispose();
    stock.dispose();
  });

  it.each([true, false])('GRU (resetAfter %s): dropout and recurrentDropout end fit() at a Keras-equation loop’s weights', async (resetAfter) => {
    const ours = model(ourLayer('gru', { units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', resetAfter, dropout: 0.3, recurrentDropout: 0.2, dropoutFunc: seededDropout() }));
    seedWeights(ours, 70);
    const vars = ours.getWeights().map((w) => tf.variable(w.clone()));
    const [x, y] = [seededTensor([B, T, D], 71), seededTensor([B, 2], 72)];
    const draw = seededDropout();
    handFit(vars, x, y, (xb, yb) => {
      // As the layer draws them: 3 input masks then 3 recurrent ones, the first of each used.
      const mx = [0, 1, 2].map(() => draw(tf.ones([BATCH, D]), 0.3))[0];
      const mh = [0, 1, 2].map(() => draw(tf.ones([BATCH, H]), 0.2))[0];
      const h0 = tf.zeros([BATCH, H]) as tf.Tensor2D;
      const r = autodiffGRU(tf.mul(xb, tf.expandDims(mx, 1)) as tf.Tensor3D, vars[0] as tf.Tensor2D, vars[1] as tf.Tensor2D, vars[2], h0, { resetAfter, recurrentMask: mh as tf.Tensor2D });
      return mse(tf.add(tf.matMul(r.last, vars[3]), vars[4]), yb);
    });
    await fit(ours, x, y);
    const w = ours.getWeights();
    const err = Math.max(...(await Promise.all(w.map(async (t, i) => relErr(await t.data(), await vars[i].data())))));
    console.log(`${backend} GRU resetAfter ${resetAfter} dropout fit vs Keras loop: ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    tf.dispose([x, y, ...vars]);
    ours.dispose();
  });

  it('LSTM: kernel/recurrent/bias/activity regularizers are in the loss fit() minimises (Keras), as a hand-written loop with the penalties', async () => {
    const [l2, l1] = [tf.regularizers.l2({ l2: 0.05 }), tf.regularizers.l1({ l1: 0.02 })];
    const ours = model(ourLayer('lstm', { units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', kernelRegularizer: l2, recurrentRegularizer: l1, biasRegularizer: l2, activityRegularizer: l1 }));
    seedWeights(ours, 80);
    const vars = ours.getWeights().map((w) => tf.variable(w.clone()));
    const [x, y] = [seededTensor([B, T, D], 81), seededTensor([B, 2], 82)];
    expect(ours.layers[0].calculateLosses().length).toBe(3); // before any training call: the weights'
    handFit(vars, x, y, (xb, yb) => {
      const r = autodiffLSTM(xb as tf.Tensor3D, vars[0] as tf.Tensor2D, vars[1] as tf.Tensor2D, vars[2] as tf.Tensor1D, tf.zeros([BATCH, H]) as tf.Tensor2D, tf.zeros([BATCH, H]) as tf.Tensor2D);
      const penalty = tf.addN([l2.apply(vars[0]), l1.apply(vars[1]), l2.apply(vars[2]), l1.apply(r.last)]);
      return tf.add(mse(tf.add(tf.matMul(r.last, vars[3]), vars[4]), yb), penalty) as tf.Scalar;
    });
    await fit(ours, x, y);
    const w = ours.getWeights();
    const err = Math.max(...(await Promise.all(w.map(async (t, i) => relErr(await t.data(), await vars[i].data())))));
    console.log(`${backend} LSTM regularizers fit vs hand loop: ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    tf.dispose([x, y, ...vars]);
    ours.dispose();
  });

  it('GRU: constraints are projected after every update, as a hand-written loop that projects after each step', async () => {
    const [maxNorm, nonNeg] = [tf.constraints.maxNorm({ maxValue: 0.5, axis: 0 }), tf.constraints.nonNeg()];
    const ours = model(ourLayer('gru', { units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', resetAfter: true, kernelConstraint: maxNorm, recurrentConstraint: nonNeg, biasConstraint: nonNeg }));
    seedWeights(ours, 90);
    const vars = ours.getWeights().map((w) => tf.variable(w.clone()));
    const [x, y] = [seededTensor([B, T, D], 91), seededTensor([B, 2], 92)];
    const project = () => [maxNorm, nonNeg, nonNeg].forEach((c, i) => vars[i].assign(tf.tidy(() => c.apply(vars[i]))));
    handFit(vars, x, y, (xb, yb) => {
      const r = autodiffGRU(xb as tf.Tensor3D, vars[0] as tf.Tensor2D, vars[1] as tf.Tensor2D, vars[2], tf.zeros([BATCH, H]) as tf.Tensor2D, { resetAfter: true });
      return mse(tf.add(tf.matMul(r.last, vars[3]), vars[4]), yb);
    }, project);
    await fit(ours, x, y);
    const w = ours.getWeights();
    expect(Math.min(...(await w[1].data()))).toBeGreaterThanOrEqual(0); // nonNeg held after the last update
    const err = Math.max(...(await Promise.all(w.map(async (t, i) => relErr(await t.data(), await vars[i].data())))));
    console.log(`${backend} GRU constraints fit vs hand loop: ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    tf.dispose([x, y, ...vars]);
    ours.dispose();
  });

  it.each(['simpleRNN', 'lstm', 'gru'] as const)('%s: zeroOutputForMask gives stock’s output with masked steps zeroed', async (kind) => {
    const layers = (make: typeof ourLayer, zero: boolean) =>
      tf.sequential({ layers: [tf.layers.masking({ maskValue: 0, inputShape: [T, D] }), make(kind, { units: H, returnSequences: true, recurrentActivation: 'sigmoid', ...(zero ? { zeroOutputForMask: true } : {}) })] });
    const keepValues = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0]; // step kept (1) or masked (0), [2, T, 1]
    const ours = layers(ourLayer, true);
    seedWeights(ours, 100);
    const weights = await weightValues(ours);
    const xValues = await seededTensor([2, T, D], 101).data();
    const input = () => tf.tidy(() => tf.mul(tf.tensor3d(xValues, [2, T, D]), tf.tensor3d(keepValues, [2, T, 1])));
    const want = await onStockBackend(backend, true, async () => {
      const stock = layers(stockLayer, false);
      setWeightValues(stock, weights);
      const x = input();
      const q = tf.tidy(() => tf.mul(stock.predict(x) as tf.Tensor, tf.tensor3d(keepValues, [2, T, 1])));
      const values = await q.data();
      tf.dispose([x, q]);
      stock.dispose();
      return values;
    });
    const x = input();
    const p = ours.predict(x) as tf.Tensor;
    expect(relErr(await p.data(), want)).toBeLessThan(1e-6);
    tf.dispose([x, p]);
    ours.dispose();
  });

  it('100 training batches with dropout leak no tensor', async () => {
    const m = model(ourLayer('lstm', { units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', dropout: 0.2, recurrentDropout: 0.2, seed: 5 }));
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const [x, y] = [seededTensor([B, T, D], 111), seededTensor([B, 2], 112)];
    await m.trainOnBatch(x, y); // optimizer state made
    await expectNoLeak(async () => {
      for (let i = 0; i < 100; i++) await m.trainOnBatch(x, y);
    });
    tf.dispose([x, y]);
    m.dispose();
  });
});
