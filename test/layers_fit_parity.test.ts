/**
 * Drop-in layers, proof 1: model.fit() with our layer and with the stock tf.layers layer, from the
 * same weights, ends at the same weights (float32 tolerance); the gradient inside fit is our
 * manual BPTT (the driver's backwardThroughTime runs once per batch, on the step loop or the fused
 * WebGPU kernels, without ∂x for a layer fed by the
 * model's input); tf.grads through our layer (weights and ∂x) equals tf.layers'; and a GRU with
 * resetAfter: true, which tf.layers cannot build, has the gradient of a plain autodiff loop.
 */
import * as tf from '@tensorflow/tfjs';
import * as sequence from '../src/scan/sequence';
import { autodiffGRU } from '../src/reference/autodiff';
import { gru } from '../src/layers/gru_layer';
import { backendsUnderTest, relErr, seededTensor, useBackend } from './helpers';
import { CELL_KINDS, CellKind, copyWeights, ourLayer, seedWeights, stockLayer, weightsRelErr } from './layers_helpers';

const [B, T, D, H, O] = [8, 6, 3, 5, 2];
const TOL = 1e-5;

function compiled(layer: tf.layers.Layer): tf.Sequential {
  const m = tf.sequential({ layers: [layer, tf.layers.dense({ units: O })] });
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  return m;
}

const CASES: Array<[CellKind, 'sigmoid' | 'hardSigmoid' | undefined]> = CELL_KINDS.flatMap((k): Array<[CellKind, 'sigmoid' | 'hardSigmoid' | undefined]> =>
  k === 'simpleRNN' ? [[k, undefined]] : [[k, 'sigmoid'], [k, undefined]],
);

describe.each(backendsUnderTest())('drop-in layers: fit() parity with tf.layers (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each(CASES)('%s (recurrentActivation %s): 3 epochs × 2 batches of adam give the stock layer’s weights; our BPTT ran', async (kind, recurrentActivation) => {
    const args = { units: H, inputShape: [T, D], recurrentActivation };
    const ours = compiled(ourLayer(kind, args));
    const stock = compiled(stockLayer(kind, args));
    seedWeights(ours, 10);
    copyWeights(ours, stock);
    const start = compiled(stockLayer(kind, args));
    copyWeights(ours, start);
    const x = seededTensor([B, T, D], 1);
    const y = seededTensor([B, O], 2);
    const backward = jest.spyOn(sequence, 'backwardThroughTime');
    await ours.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    expect(backward).toHaveBeenCalledTimes(6);
    for (const call of backward.mock.calls) expect(call[3]?.input).toBe(false); // fed by the model's input
    backward.mockRestore();
    await stock.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    const err = await weightsRelErr(ours, stock);
    const moved = await weightsRelErr(ours, start);
    console.log(`${backend} fit parity ${kind} ${recurrentActivation ?? 'default'}: largest relative error ${err.toExponential(2)} (weights moved ${moved.toExponential(2)})`);
    expect(moved).toBeGreaterThan(1e-3);
    expect(err).toBeLessThan(TOL);
    tf.dispose([x, y]);
    [ours, stock, start].forEach((m) => m.dispose());
  });

  it.each(CELL_KINDS)('%s: tf.grads of a loss through the layer (weights and ∂x) equals tf.layers’', async (kind) => {
    const args = { units: H, returnSequences: true, recurrentActivation: 'sigmoid' as const };
    const ours = tf.sequential({ layers: [ourLayer(kind, { ...args, inputShape: [T, D] })] });
    const stock = tf.sequential({ layers: [stockLayer(kind, { ...args, inputShape: [T, D] })] });
    seedWeights(ours, 20);
    copyWeights(ours, stock);
    const x = seededTensor([B, T, D], 3);
    const probe = seededTensor([B, T, H], 4);
    const gradsOf = (m: tf.Sequential) => {
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const lossOf = (input: tf.Tensor) => tf.sum(tf.mul(m.apply(input) as tf.Tensor, probe)) as tf.Scalar;
      const g = tf.variableGrads(() => lossOf(x), vars);
      const dx = tf.grad(lossOf)(x);
      g.value.dispose();
      return [...vars.map((v) => g.grads[v.name]), dx];
    };
    const backward = jest.spyOn(sequence, 'backwardThroughTime');
    const a = gradsOf(ours);
    expect(backward).toHaveBeenCalledTimes(2);
    expect(backward.mock.calls[1][3]?.input).toBe(true); // a direct call differentiates x
    const b = gradsOf(stock);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, relErr(await a[i].data(), await b[i].data()));
    console.log(`${backend} tf.grads parity ${kind}: largest relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(TOL);
    tf.dispose([...a, ...b, x, probe]);
    ours.dispose();
    stock.dispose();
  });

  it('GRU resetAfter: true: the gradient of every weight and of x equals a plain autodiff loop’s', async () => {
    const model = tf.sequential({ layers: [gru({ units: H, inputShape: [T, D], returnSequences: true, resetAfter: true, recurrentActivation: 'sigmoid' })] });
    seedWeights(model, 30);
    const x = seededTensor([B, T, D], 5);
    const probe = seededTensor([B, T, H], 6);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    expect(vars.map((v) => v.shape)).toEqual([[D, 3 * H], [H, 3 * H], [2, 3 * H]]);
    // Our layer reads the variables, not the arguments: take the weight gradients with variableGrads.
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, probe)) as tf.Scalar, vars);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.apply(input) as tf.Tensor, probe)))(x);
    const ref = tf.grads((input: tf.Tensor, k: tf.Tensor, u: tf.Tensor, bias: tf.Tensor) => {
      const h0 = tf.zeros([B, H]) as tf.Tensor2D;
      const { sequence } = autodiffGRU(input as tf.Tensor3D, k as tf.Tensor2D, u as tf.Tensor2D, bias, h0, { resetAfter: true, recurrentActivation: 'sigmoid' });
      return tf.sum(tf.mul(sequence, probe));
    })([x, ...vars]);
    const got = [dx, ...vars.map((v) => grads[v.name])];
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, relErr(await got[i].data(), await ref[i].data()));
    console.log(`${backend} GRU resetAfter gradient vs autodiff: largest relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(TOL);
    tf.dispose([value, ...got, ...ref, x, probe]);
    model.dispose();
  });
});
