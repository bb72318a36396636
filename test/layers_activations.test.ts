/**
 * Every activation tfjs's recurrent layers accept, as `activation` and (gated cells) as
 * `recurrentActivation`: our layers' predictions and tf.grads (weights and ∂x) against the stock
 * layer's on copied weights. Activations read off the output run our per-step factors; softmax,
 * logSoftmax and those whose derivative needs the input run the cell's step through autodiff
 * inside our driver.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_NAMES } from '../src/cells/activations';
import { backendsUnderTest, relErr, seededTensor, useBackend } from './helpers';
import { CELL_KINDS, CellKind, copyWeights, ourLayer, seedWeights, stockLayer } from './layers_helpers';

const [B, T, D, H] = [3, 4, 3, 4];
const TOL = 1e-5;

type Case = [CellKind, 'activation' | 'recurrentActivation', string];
const CASES: Case[] = CELL_KINDS.flatMap((kind) =>
  ACTIVATION_NAMES.flatMap((name): Case[] => (kind === 'simpleRNN' ? [[kind, 'activation', name]] : [[kind, 'activation', name], [kind, 'recurrentActivation', name]])),
);

/** Predictions, then ∂ of Σ predict ⊙ probe for every weight and x. */
function run(model: tf.LayersModel, x: tf.Tensor, probe: tf.Tensor): tf.Tensor[] {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = (input: tf.Tensor) => tf.sum(tf.mul(model.apply(input) as tf.Tensor, probe)) as tf.Scalar;
  const g = tf.variableGrads(() => loss(x), vars);
  g.value.dispose();
  return [model.predict(x) as tf.Tensor, ...vars.map((v) => g.grads[v.name]), tf.grad(loss)(x)];
}

describe.each(backendsUnderTest().filter((b) => b !== 'webgpu'))('every activation, as stock (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CASES)('%s %s %s', async (kind, field, name) => {
    const args = { units: H, inputShape: [T, D], returnSequences: true, recurrentActivation: 'sigmoid' as const, [field]: name };
    const ours = tf.sequential({ layers: [ourLayer(kind, args as never)] });
    const stock = tf.sequential({ layers: [stockLayer(kind, args as never)] });
    seedWeights(ours, 40, 0.6);
    copyWeights(ours, stock);
    const x = seededTensor([B, T, D], 41);
    const probe = seededTensor([B, T, H], 42);
    const [a, b] = [run(ours, x, probe), run(stock, x, probe)];
    const errs = await Promise.all(a.map(async (t, i) => relErr(await t.data(), await b[i].data())));
    expect(Math.max(...errs)).toBeLessThan(TOL);
    tf.dispose([...a, ...b, x, probe]);
    ours.dispose();
    stock.dispose();
  });
});
