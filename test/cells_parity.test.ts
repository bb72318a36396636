/**
 * Proof 1, every cell: parity with the stock tf.layers layer (tf.layers.simpleRNN, lstm, gru with
 * resetAfter false) on copied weights, with and without initial states, with gate and bias options:
 * the sequence and every final state agree to ≤ 1e-5 relative (max-norm), on every backend under test.
 * Also, per cell, unbatched input [T, D] is exactly the batch-of-one case; and the Keras notebook of
 * the seed document ../shared/seeds/003: SimpleRNN(units=3, batch_input_shape=(8, 2, 10)) has 42
 * parameters and output (8, 2, 3).
 */
import * as tf from '@tensorflow/tfjs';
import { CELL_CASES, CaseOptions, CellCase, DEFAULTS, disposeAll } from './cell_cases';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

const SHAPES = [
  { B: 1, T: 1, D: 1, H: 1 },
  { B: 8, T: 2, D: 10, H: 3 },
  { B: 4, T: 17, D: 5, H: 9 },
  { B: 3, T: 40, D: 32, H: 64 },
];
const OPTIONS: Array<Partial<CaseOptions>> = [{}, { recurrentActivation: 'hardSigmoid' }, { activation: 'relu' }, { useBias: false }];
let worst = 0;

function stockModel(c: CellCase, D: number, H: number, o: CaseOptions, withInitial: boolean): { model: tf.LayersModel; layer: tf.layers.Layer } {
  const x = tf.input({ shape: [null, D] });
  const layer = c.stockLayer(H, o);
  if (!withInitial) return { model: tf.model({ inputs: x, outputs: layer.apply(x) as tf.SymbolicTensor[] }), layer };
  const initial = Array.from({ length: c.states }, () => tf.input({ shape: [H] }));
  const outputs = layer.apply(x, { initialState: initial }) as tf.SymbolicTensor[];
  return { model: tf.model({ inputs: [x, ...initial], outputs }), layer };
}

describe.each(backendsUnderTest())('parity with tf.layers on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  for (const c of CELL_CASES.filter((k) => k.stock)) {
    // SimpleRNN's activations are its only option; the gated cells get every option.
    const options = c.kind === 'simple' ? [{}, { activation: 'relu' as const }, { activation: 'linear' as const }, { useBias: false }] : OPTIONS;
    for (const partial of options) {
      const o = { ...DEFAULTS, ...partial };
      for (const withInitial of [false, true]) {
        test.each(SHAPES)(`${c.label} ${JSON.stringify(partial)}, initial states ${withInitial ? 'given' : 'absent'}: B$B T$T D$D H$H`, async ({ B, T, D, H }) => {
          await expectNoLeak(async () => {
            const cell = c.make(D, H, 7, o);
            if (cell.bias !== null) tf.tidy(() => (cell.bias as tf.Variable).assign(seededTensor(c.biasShape(H), 99, -0.5, 0.5)));
            const { model, layer } = stockModel(c, D, H, o, withInitial);
            const weights = cell.getWeights();
            layer.setWeights(weights);
            // relu/linear: keep the recurrence contractive so that long sequences stay finite.
            const scale = o.activation === 'relu' || o.activation === 'linear' ? 0.3 : 1;
            const x = seededTensor([B, T, D], 1 + T, -scale, scale) as tf.Tensor3D;
            const initial = withInitial ? Array.from({ length: c.states }, (_, k) => seededTensor([B, H], 2 + T + k, -0.5, 0.5)) : [];
            const stock = model.predict(withInitial ? [x, ...initial] : x) as tf.Tensor[];
            const ours = c.forward(cell, x, initial);
            const pairs: Array<[tf.Tensor, tf.Tensor]> = [[ours.sequence, stock[0]], ...ours.last.map((s, k) => [s, stock[1 + k]] as [tf.Tensor, tf.Tensor])];
            for (const [a, b] of pairs) {
              const e = await tensorRelErr(a, b);
              worst = Math.max(worst, e);
              expect(e).toBeLessThanOrEqual(1e-5);
            }
            disposeAll(ours, stock, weights, initial, x);
            model.dispose();
            cell.dispose();
          });
        });
      }
    }
  }

  test.each(CELL_CASES.map((c) => [c.label, c] as const))('%s: unbatched input [T, D] with initial states [H] equals the batch-of-one case', async (_label, c) => {
    await expectNoLeak(async () => {
      const cell = c.make(4, 5, 3, DEFAULTS);
      const x = seededTensor([6, 4], 5); // [T, D]
      const initial = Array.from({ length: c.states }, (_, k) => seededTensor([5], 6 + k)); // [H] each
      const one = c.forward(cell, x, initial);
      const xb = tf.expandDims(x, 0);
      const initialB = initial.map((s) => tf.expandDims(s, 0));
      const batched = c.forward(cell, xb, initialB);
      expect(one.sequence.shape).toEqual([6, 5]);
      const squeezed = [tf.squeeze(batched.sequence, [0]), ...batched.last.map((s) => tf.squeeze(s, [0]))];
      for (const [k, a] of [one.sequence, ...one.last].entries()) {
        if (k > 0) expect(a.shape).toEqual([5]);
        expect(await tensorRelErr(a, squeezed[k])).toBe(0);
      }
      disposeAll(one, batched, squeezed, initial, initialB, x, xb);
      cell.dispose();
    });
  });

  test('Keras notebook (seeds/003): SimpleRNN units 3, input dim 10 has 42 parameters; batchInputShape [8,2,10] gives [8,2,3]', async () => {
    await expectNoLeak(async () => {
      const simple = CELL_CASES.find((c) => c.kind === 'simple')!;
      const cell = simple.make(10, 3, 1, DEFAULTS);
      expect(cell.countParams()).toBe(42);
      const model = tf.sequential();
      model.add(tf.layers.simpleRNN({ units: 3, batchInputShape: [8, 2, 10], returnSequences: true }));
      expect(model.countParams()).toBe(42);
      expect(model.outputs[0].shape).toEqual([8, 2, 3]);
      const weights = cell.getWeights();
      model.setWeights(weights);
      const x = seededTensor([8, 2, 10], 3);
      const yL = model.predict(x) as tf.Tensor;
      const ours = simple.forward(cell, x, []);
      expect(ours.sequence.shape).toEqual([8, 2, 3]);
      expect(await tensorRelErr(ours.sequence, yL)).toBeLessThanOrEqual(1e-5);
      disposeAll(ours, weights, x, yL);
      cell.dispose();
      model.dispose();
    });
  });
});

afterAll(() => {
  console.log(`cells vs tf.layers: largest relative error ${worst.toExponential(2)}`);
});
