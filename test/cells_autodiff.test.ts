/**
 * Proof 2, every cell: the manual BPTT equals tf.grads of the plain autodiff loop
 * (src/reference/autodiff.ts) over the same weights — every gradient (kernel, recurrent kernel,
 * bias, input, each initial state) for every combination of upstream gradients (sequence, last
 * state, and for an LSTM the last cell state), ≤ 1e-5 relative, on every backend under test.
 */
import * as tf from '@tensorflow/tfjs';
import { CELL_CASES, CaseOptions, CellCase, DEFAULTS, disposeAll } from './cell_cases';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

const SHAPES = [
  { B: 1, T: 1, D: 2, H: 3 },
  { B: 3, T: 7, D: 4, H: 5 },
  { B: 8, T: 25, D: 10, H: 16 },
];
let worst = 0;

/** Every non-empty subset of the upstream slots: 0 = dSequence, 1.. = dLast per state. */
function upstreamSubsets(c: CellCase): number[][] {
  const n = 1 + c.states;
  const out: number[][] = [];
  for (let m = 1; m < 1 << n; m++) out.push(Array.from({ length: n }, (_, i) => i).filter((i) => (m >> i) & 1));
  return out;
}

async function check(c: CellCase, o: CaseOptions, slots: number[], B: number, T: number, D: number, H: number): Promise<void> {
  await expectNoLeak(async () => {
    const cell = c.make(D, H, 11, o);
    if (cell.bias !== null) tf.tidy(() => (cell.bias as tf.Variable).assign(seededTensor(c.biasShape(H), 12, -0.3, 0.3)));
    const scale = o.activation === 'relu' ? 0.4 : 1;
    const x = seededTensor([B, T, D], 13, -scale, scale) as tf.Tensor3D;
    const initial = Array.from({ length: c.states }, (_, k) => seededTensor([B, H], 14 + k, -0.5, 0.5) as tf.Tensor2D);
    const dSeq = slots.includes(0) ? seededTensor([B, T, H], 20) : null;
    const dLast = Array.from({ length: c.states }, (_, k) => (slots.includes(k + 1) ? seededTensor([B, H], 21 + k) : null));

    const fwd = c.forward(cell, x, initial);
    const ours = c.backward(cell, fwd.tape, dSeq, dLast);

    const weights = cell.trainableWeights;
    const loss = (...args: tf.Tensor[]): tf.Scalar => {
      const [xx, ...rest] = args;
      const init = rest.slice(0, c.states) as tf.Tensor2D[];
      const out = c.autodiff(xx as tf.Tensor3D, rest.slice(c.states), init, o);
      let L: tf.Tensor = tf.scalar(0);
      if (dSeq !== null) L = tf.add(L, tf.sum(tf.mul(dSeq, out.sequence)));
      dLast.forEach((d, k) => {
        if (d !== null) L = tf.add(L, tf.sum(tf.mul(d, out.last[k])));
      });
      return L as tf.Scalar;
    };
    const auto = tf.grads(loss)([x, ...initial, ...weights]);
    const pairs: Array<[string, tf.Tensor, tf.Tensor]> = [
      ['input', ours.input, auto[0]],
      ...ours.initial.map((g, k) => [`initial state ${k}`, g, auto[1 + k]] as [string, tf.Tensor, tf.Tensor]),
      ['kernel', ours.kernel, auto[1 + c.states]],
      ['recurrentKernel', ours.recurrentKernel, auto[2 + c.states]],
    ];
    if (cell.bias !== null) pairs.push(['bias', ours.bias as tf.Tensor, auto[3 + c.states]]);
    else expect(ours.bias).toBeNull();
    for (const [name, a, b] of pairs) {
      const e = await tensorRelErr(a, b);
      worst = Math.max(worst, e);
      if (!(e <= 1e-5)) throw new Error(`${name}: relative error ${e} > 1e-5`);
    }
    disposeAll(fwd, ours, auto, initial, dLast, dSeq, x);
    cell.dispose();
  });
}

describe.each(backendsUnderTest())('manual BPTT = tf.grads of autodiff on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  for (const c of CELL_CASES) {
    for (const slots of upstreamSubsets(c)) {
      const names = slots.map((s) => (s === 0 ? 'sequence' : s === 1 ? 'last' : 'lastCell')).join('+');
      test.each(SHAPES)(`${c.label}, upstream on ${names}: B$B T$T D$D H$H`, async ({ B, T, D, H }) => check(c, DEFAULTS, slots, B, T, D, H));
    }
    const options: Array<Partial<CaseOptions>> =
      c.kind === 'simple' ? [{ activation: 'relu' }, { activation: 'linear' }, { useBias: false }] : [{ recurrentActivation: 'hardSigmoid' }, { activation: 'relu' }, { activation: 'linear' }, { useBias: false }];
    const all = upstreamSubsets(c).slice(-1)[0];
    test.each(options)(`${c.label} %j, every upstream: B3 T7 D4 H5`, async (partial) => check(c, { ...DEFAULTS, ...partial }, all, 3, 7, 4, 5));
  }
});

afterAll(() => {
  console.log(`cells: BPTT vs tf.grads, largest relative error ${worst.toExponential(2)}`);
});
