/**
 * Proof 3, every cell (GRU in both forms, the resetAfter one having no tf.layers counterpart): the
 * tfjs cells agree with the independent float64 references (src/reference/, themselves checked by
 * finite differences and against PyTorch) within float32 tolerance, ≤ 1e-5 relative, forward and
 * every gradient, with initial states given and absent, on every backend under test.
 */
import * as tf from '@tensorflow/tfjs';
import { CELL_CASES, CaseOptions, CellCase, DEFAULTS, disposeAll, forwardBackward } from './cell_cases';
import { backendsUnderTest, expectNoLeak, relErr, seededArray, useBackend } from './helpers';

const SHAPES = [
  { B: 1, T: 1, D: 1, H: 1 },
  { B: 2, T: 9, D: 3, H: 4 },
  { B: 5, T: 30, D: 8, H: 12 },
];
let worst = 0;
const f64 = (a: Float32Array) => Float64Array.from(a);

describe.each(backendsUnderTest())('cells vs the float64 references on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  for (const c of CELL_CASES) {
    const options: Array<Partial<CaseOptions>> = c.kind === 'simple' ? [{}, { activation: 'relu' }, { activation: 'linear' }, { useBias: false }] : [{}, { recurrentActivation: 'hardSigmoid' }, { activation: 'relu' }, { useBias: false }];
    for (const partial of options) {
      const o = { ...DEFAULTS, ...partial };
      test.each(SHAPES)(`${c.label} ${JSON.stringify(partial)}: B$B T$T D$D H$H`, async ({ B, T, D, H }) => check(c, o, true, B, T, D, H));
    }
    // No initial states given: the cell starts from zeros, the reference from null.
    test(`${c.label} {}, initial states absent: B2 T9 D3 H4`, async () => check(c, DEFAULTS, false, 2, 9, 3, 4));
  }
});

async function check(c: CellCase, o: CaseOptions, withInitial: boolean, B: number, T: number, D: number, H: number): Promise<void> {
  await expectNoLeak(async () => {
    const cell = c.make(D, H, 31, o);
    if (cell.bias !== null) tf.tidy(() => (cell.bias as tf.Variable).assign(tf.tensor(seededArray(cell.bias!.size, 32, -0.5, 0.5), c.biasShape(H))));
    // relu/linear: a contractive recurrence keeps long sequences in range.
    const scale = o.activation === 'relu' || o.activation === 'linear' ? 0.4 : 1;
    const xv = seededArray(B * T * D, 33, -scale, scale);
    const initialV = Array.from({ length: c.states }, (_, k) => seededArray(B * H, 34 + k, -0.5, 0.5));
    const dSeqV = seededArray(B * T * H, 40);
    const dLastV = initialV.map((_, k) => seededArray(B * H, 41 + k));
    const initialRef = initialV.map((v) => (withInitial ? f64(v) : null));

    const weights = cell.getWeights();
    const [kernel, recurrentKernel, bias] = await Promise.all(weights.map(async (w) => Float64Array.from(await w.data())));
    const ref = c.reference(f64(xv), { B, T, D }, { kernel, recurrentKernel, bias: bias ?? null, H }, initialRef, { dSequence: f64(dSeqV), dLast: dLastV.map(f64) }, o);

    const { x, initial, dSeq, dLast, fwd, g } = forwardBackward(c, cell, { x: xv, initial: withInitial ? initialV : [], dSequence: dSeqV, dLast: dLastV }, B, T);
    const pairs: Array<[string, tf.Tensor | null, Float64Array | null]> = [
      ['sequence', fwd.sequence, ref.sequence],
      ...fwd.last.map((s, k) => [`last state ${k}`, s, ref.last[k]] as [string, tf.Tensor, Float64Array]),
      ['kernel', g.kernel, ref.grads.kernel],
      ['recurrentKernel', g.recurrentKernel, ref.grads.recurrentKernel],
      ['bias', g.bias, ref.grads.bias],
      ['input', g.input, ref.grads.input],
      ...g.initial.map((s, k) => [`initial state ${k}`, s, ref.grads.initial[k]] as [string, tf.Tensor, Float64Array]),
    ];
    for (const [name, a, b] of pairs) {
      if (a === null || b === null) {
        expect([name, a === null, b === null]).toEqual([name, true, true]);
        continue;
      }
      const e = relErr(await a.data(), b);
      worst = Math.max(worst, e);
      if (!(e <= 1e-5)) throw new Error(`${name}: relative error ${e} > 1e-5`);
    }
    disposeAll(fwd, g, weights, initial, dLast, dSeq, x);
    cell.dispose();
  });
}

afterAll(() => {
  console.log(`cells vs float64 references: largest relative error ${worst.toExponential(2)}`);
});
