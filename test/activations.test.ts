/**
 * The activation table (src/cells/activations.ts), for every activation: the forward against
 * tf.layers' own activation (what stock's recurrent cells call), the backward (a vector-Jacobian
 * product) against tfjs autodiff of the forward, both against the float64 table
 * (src/reference/activations.ts), and the `needsPreActivation` flag held to its word: an activation
 * flagged false gives the same backward without a, one flagged true refuses to run without it.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_NAMES, ActivationName, activate, activationBackward, activationDerivative, checkActivationName, derivativeFromOutput, isElementwise, needsPreActivation } from '../src/cells/activations';
import { activateRow64, activationBackwardRow64, erf } from '../src/reference/activations';
import { backendsUnderTest, expectNoLeak, relErr, seededArray, useBackend } from './helpers';

const [R, H] = [5, 7]; // rows (a batch) × units; softmax normalises over H

/** Seeded pre-activations in [−7, 7], none within 1e-3 of a kink (relu's 0, the hard sigmoids' ends, relu6's 6). */
function preActivations(seed: number): Float32Array {
  const kinks = [0, 2.5, -2.5, 3, -3, 6];
  return seededArray(R * H, seed, -7, 7).map((v) => (kinks.some((k) => Math.abs(v - k) < 1e-3) ? v + 0.01 : v));
}

/** Runs fn(row) for each row of a [R, H] array, concatenating the rows it returns. */
function byRows(values: ArrayLike<number>, fn: (row: number) => Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let r = 0; r < R; r++) out.set(fn(r), r * H);
  return out;
}
const row = (values: ArrayLike<number>, r: number): number[] => Array.from(values).slice(r * H, (r + 1) * H);

/** Stock's activation, through the tf.layers Activation layer (getActivation by name). */
function stock(name: ActivationName, a: tf.Tensor): tf.Tensor {
  return tf.layers.activation({ activation: name as 'tanh' }).apply(a) as tf.Tensor;
}

describe.each(backendsUnderTest())('the activation table on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  test.each(ACTIVATION_NAMES.map((n) => [n]))('%s: forward as stock, backward as autodiff and the float64 table', async (name) => {
    await expectNoLeak(async () => {
      const aValues = preActivations(11);
      const dyValues = seededArray(R * H, 12);
      const a = tf.tensor2d(aValues, [R, H]); // [R, H]
      const dy = tf.tensor2d(dyValues, [R, H]); // [R, H]
      const y = activate(name, a);
      const da = activationBackward(name, dy, y, a);
      const auto = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(activate(name, x), dy)))(a);
      const yValues = await y.data();

      const s = stock(name, a); // hardSigmoidKeras3 through the class activations.ts registers
      expect(relErr(yValues, await s.data())).toBeLessThanOrEqual(1e-7);
      s.dispose();
      expect(relErr(await da.data(), await auto.data())).toBeLessThanOrEqual(1e-6);

      const y64 = byRows(aValues, (r) => activateRow64(name, row(aValues, r)));
      const da64 = byRows(aValues, (r) => activationBackwardRow64(name, row(dyValues, r), row(aValues, r), row(y64, r)));
      expect(relErr(yValues, y64)).toBeLessThanOrEqual(1e-6);
      expect(relErr(await da.data(), da64)).toBeLessThanOrEqual(1e-6);

      if (needsPreActivation(name)) {
        expect(() => activationBackward(name, dy, y)).toThrow(`activation '${name}' reads the pre-activation in its backward: expected a, got undefined`);
      } else {
        const withoutA = activationBackward(name, dy, y);
        expect(relErr(await withoutA.data(), await da.data())).toBe(0);
        if (withoutA !== dy) withoutA.dispose();
      }
      tf.dispose([a, dy, y, auto]);
      if (da !== dy) da.dispose();
    });
  });
});

describe('the activation table on cpu', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('the stock forms match stock bit for bit', async () => {
    const a = tf.tensor2d(preActivations(21), [R, H]);
    for (const name of ACTIVATION_NAMES.filter((n) => n !== 'hardSigmoidKeras3')) {
      const [ours, theirs] = [activate(name, a), stock(name, a)];
      expect({ name, err: relErr(await ours.data(), await theirs.data()) }).toEqual({ name, err: 0 });
      tf.dispose([ours, theirs].filter((t) => t !== a)); // linear gives a itself
    }
    a.dispose();
  });

  test("a stock cell accepts Keras 3's hard sigmoid by name, and computes with it", async () => {
    const cell = tf.layers.lstmCell({ units: 2, recurrentActivation: 'hardSigmoidKeras3' as 'hardSigmoid', kernelInitializer: 'ones', recurrentInitializer: 'ones' });
    expect((cell.getConfig() as { recurrentActivation: string }).recurrentActivation).toBe('hardSigmoidKeras3');
    const rnn = tf.layers.rnn({ cell });
    const x = tf.fill([1, 1, 1], 0.5);
    const h = rnn.apply(x) as tf.Tensor; // i = f = o = relu6(0.5 + 3)/6 (zero bias), c̃ = tanh(0.5), c = i c̃, h = o tanh(c)
    const gate = 3.5 / 6;
    const expected = gate * Math.tanh(gate * Math.tanh(0.5));
    expect(Math.abs((await h.data())[0] - expected)).toBeLessThan(1e-6);
    tf.dispose([x, h]);
    rnn.dispose();
  });

  test("Keras 3's hard sigmoid is relu6(a + 3) / 6, not Keras 2's clip(0.2·a + 0.5)", async () => {
    const a = tf.tensor1d([-4, -3, -1, 0, 1.5, 2.6, 3, 4]);
    const [k3, k2] = [activate('hardSigmoidKeras3', a), activate('hardSigmoid', a)];
    expect(Array.from(await k3.data())).toEqual(Array.from(new Float32Array([0, 0, 2 / 6, 0.5, 4.5 / 6, 5.6 / 6, 1, 1])));
    expect(Array.from(await k2.data())).toEqual(Array.from(new Float32Array([0, 0, 0.3, 0.5, 0.8, 1, 1, 1])));
    tf.dispose([a, k3, k2]);
  });

  test('which activations read the pre-activation, and which are elementwise', () => {
    expect(ACTIVATION_NAMES.filter((n) => needsPreActivation(n))).toEqual(['selu', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'gelu_new']);
    expect(ACTIVATION_NAMES.filter((n) => !isElementwise(n))).toEqual(['softmax', 'logSoftmax']);
  });

  test('the factor forms refuse what they cannot give, with the reason', () => {
    const y = tf.zeros([2, 3]);
    expect(() => derivativeFromOutput('swish', y)).toThrow("activation 'swish' has no derivative from its output alone: use activationDerivative(name, y, a)");
    expect(() => activationDerivative('softmax', y)).toThrow("activation 'softmax' is not elementwise: it has no act'(a) factor; use activationBackward(name, dy, y)");
    expect(derivativeFromOutput('linear', y)).toBeNull();
    expect(() => activate('sigmoidal' as ActivationName, y)).toThrow(`expected activation to be one of ${ACTIVATION_NAMES.join(', ')}, got 'sigmoidal'`);
    expect(() => checkActivationName('recurrentActivation', 3)).toThrow(/expected recurrentActivation to be one of elu, .*, got 3$/);
    y.dispose();
  });

  test('the float64 erf against tabulated values (Abramowitz–Stegun table 7.1)', () => {
    // erf(0.5), erf(1), erf(2), erf(3) to 15 digits; odd in x.
    const table: Array<[number, number]> = [[0.5, 0.520499877813047], [1, 0.842700792949715], [2, 0.995322265018953], [3, 0.999977909503001]];
    for (const [x, v] of table) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(1e-14);
      expect(erf(-x)).toBe(-erf(x));
    }
  });
});
