/**
 * The float64 LSTM reference (src/reference/lstm.ts): its hand-written BPTT agrees with central
 * finite differences for every gradient and every combination of upstream gradients, for both
 * recurrent activations, with and without bias and initial states; a T = 1, H = 1 case worked by
 * hand; and clear errors. (Its agreement with PyTorch is in reference_torch.test.ts.)
 */
import { lstmReferenceBackward, lstmReferenceForward, lstmReferenceLoss } from '../src/reference/lstm';
import type { LSTMReferenceOptions, LSTMReferenceUpstream, LSTMReferenceWeights } from '../src/reference/lstm';
import type { ReferenceShape } from '../src/reference/shared';
import { distanceToKinks, drawProblem, expectKinksAvoided, f64, finiteDifferenceSuite, KINK_MARGIN, nonEmptySubsets, weightArgs, withWeights } from './reference_checks';
import type { ProblemConfig } from './reference_checks';

interface Config extends ProblemConfig {
  options: LSTMReferenceOptions;
}

const CONFIGS: Config[] = [];
for (const recurrentActivation of ['sigmoid', 'hardSigmoid'] as const) {
  for (const bias of [true, false]) {
    for (const initial of [true, false]) {
      const seed = 1000 + CONFIGS.length * 10;
      const size = CONFIGS.length % 2 === 0 ? { B: 2, T: 4, D: 3, H: 3 } : { B: 1, T: 6, D: 2, H: 4 };
      const drive = recurrentActivation === 'hardSigmoid' ? 2 : 1;
      CONFIGS.push({ name: `${recurrentActivation}, bias ${bias}, h0/c0 ${initial ? 'given' : 'absent'}`, ...size, options: { recurrentActivation }, bias, initial, drive, seed });
    }
  }
}
for (const activation of ['relu', 'linear'] as const) {
  CONFIGS.push({ name: `activation ${activation}`, B: 2, T: 4, D: 3, H: 3, options: { activation }, bias: true, initial: true, drive: 1, seed: 1500 + CONFIGS.length * 10 });
}

type Upstream = keyof LSTMReferenceUpstream;
const UPSTREAMS = nonEmptySubsets<Upstream>(['dSequence', 'dLast', 'dLastCell']);

interface Problem {
  x: Float64Array;
  shape: ReferenceShape;
  w: LSTMReferenceWeights;
  h0: Float64Array | null;
  c0: Float64Array | null;
  upstream: LSTMReferenceUpstream;
}

function makeProblem(c: Config, upstreams: Upstream[]): Problem {
  const { B, T, H, seed } = c;
  const { x, shape, weights, h0 } = drawProblem(c, 4, 4 * H);
  const given = (name: Upstream, n: number, s: number): Float64Array | null => (upstreams.includes(name) ? f64(n, s) : null);
  return {
    x,
    shape,
    w: weights,
    h0,
    c0: c.initial ? f64(B * H, seed + 6) : null,
    upstream: { dSequence: given('dSequence', B * T * H, seed + 7), dLast: given('dLast', B * H, seed + 8), dLastCell: given('dLastCell', B * H, seed + 9) },
  };
}

const suite = finiteDifferenceSuite('LSTM reference BPTT vs central differences');

describe.each(CONFIGS)('LSTM reference BPTT vs central differences: $name (B$B T$T D$D H$H)', (c) => {
  test.each(UPSTREAMS.map((u) => [u.join(' + '), u] as const))('upstream %s: every gradient agrees', (_label, upstreams) => {
    const p = makeProblem(c, upstreams);
    const forward = lstmReferenceForward(p.x, p.shape, p.w, p.h0, p.c0, c.options);
    const { H } = p.w;
    expectKinksAvoided(forward.preActivations, H, 4, 2, c.options); // blocks i, f, c, o
    if (c.options.activation === 'relu') expect(distanceToKinks(forward.cells, [0])).toBeGreaterThan(KINK_MARGIN); // act(c_t)
    const g = lstmReferenceBackward(p.x, p.shape, p.w, p.h0, p.c0, p.upstream, c.options);
    // Absent initial states are zeros: the gradients there are checked at zeros.
    const args = { ...weightArgs(p.w, p.x), initialState: p.h0 ?? new Float64Array(p.shape.B * H), initialCell: p.c0 ?? new Float64Array(p.shape.B * H) };
    const loss = (a: typeof args): number =>
      lstmReferenceLoss(lstmReferenceForward(a.input, p.shape, withWeights(p.w, a), a.initialState, a.initialCell, c.options), p.upstream);
    expect(g.bias === null).toBe(!c.bias);
    suite.expectGradients(`${c.name} ${upstreams.join('+')}`, args, loss, g);
  });
});

describe('LSTM reference, T = 1, H = 1, worked by hand', () => {
  // x = 1, kernel (i, f, c, o) = [0, 0, 1, 0], recurrentKernel = [0.5, 0.5, 0.5, 0.5], c0 = 2.
  const x = Float64Array.of(1);
  const shape = { B: 1, T: 1, D: 1 };
  const kernel = Float64Array.of(0, 0, 1, 0);
  const recurrentKernel = Float64Array.of(0.5, 0.5, 0.5, 0.5);
  const c0 = Float64Array.of(2);

  test('sigmoid: values and the gradients of c_T', () => {
    // h0 = 0, bias 0: z = [0, 0, 1, 0], so i = f = o = σ(0) = 0.5 and g = tanh(1) = 0.7615941559557649.
    // c = f·c0 + i·g = 1 + 0.380797077977882 = 1.3807970779778824; h = o·tanh(c) = 0.4405648141721129.
    const w = { kernel, recurrentKernel, bias: new Float64Array(4), H: 1 };
    const f = lstmReferenceForward(x, shape, w, null, c0);
    expect(f.lastCell[0]).toBeCloseTo(1.3807970779778824, 15);
    expect(f.last[0]).toBeCloseTo(0.4405648141721129, 15);
    expect(f.sequence[0]).toBe(f.last[0]);
    // L = c_T (dLastCell = 1): dc = 1, σ'(0) = 0.25, so dz_i = g·0.25 = 0.1903985389889412,
    // dz_f = c0·0.25 = 0.5, dz_c = i·(1 − g²) = 0.20998717080701307, dz_o = 0 (h_T is not in L);
    // dc0 = f = 0.5; dh0 = dz · recurrentKernelᵀ = 0.5·Σ dz = 0.45019285489797713; dx = dz · kernelᵀ = dz_c.
    const g = lstmReferenceBackward(x, shape, w, null, c0, { dLastCell: Float64Array.of(1) });
    const dz = [0.1903985389889412, 0.5, 0.20998717080701307, 0];
    dz.forEach((v, k) => {
      expect(g.bias?.[k]).toBeCloseTo(v, 15);
      expect(g.kernel[k]).toBeCloseTo(v, 15); // x = 1
      expect(g.recurrentKernel[k]).toBe(0); // h0 = 0
    });
    expect(g.initialCell[0]).toBeCloseTo(0.5, 15);
    expect(g.initialState[0]).toBeCloseTo(0.45019285489797713, 15);
    expect(g.input[0]).toBeCloseTo(0.20998717080701307, 15);
  });

  test('hardSigmoid: clipping, the inclusive end at 2.5, and the zero slope beyond', () => {
    // bias [1, 3, 0, 2.5]: z = [1, 3, 1, 2.5], so i = 0.2·1 + 0.5 = 0.7, f = clip(1.1) = 1 (slope 0),
    // o = 0.2·2.5 + 0.5 = 1 exactly (slope 0.2: the end counts as inside), g = tanh(1).
    // c = c0 + 0.7·g = 2.5331159091690356; h = tanh(c) = 0.9874667601416005.
    const w = { kernel, recurrentKernel, bias: Float64Array.of(1, 3, 0, 2.5), H: 1 };
    const options = { recurrentActivation: 'hardSigmoid' } as const;
    const f = lstmReferenceForward(x, shape, w, null, c0, options);
    expect(f.lastCell[0]).toBeCloseTo(2.5331159091690356, 15);
    expect(f.last[0]).toBeCloseTo(0.9874667601416005, 15);
    // L = h_T: dc = o·(1 − h²) = 0.024909397615450857 (= dc0, as f = 1); dz_i = dc·g·0.2 = 0.003794170330461168,
    // dz_f = 0 (clipped), dz_c = dc·i·(1 − g²) = 0.007322915504485676, dz_o = tanh(c)·0.2 = 0.1974933520283201.
    const g = lstmReferenceBackward(x, shape, w, null, c0, { dLast: Float64Array.of(1) }, options);
    const dz = [0.003794170330461168, 0, 0.007322915504485676, 0.1974933520283201];
    dz.forEach((v, k) => expect(g.bias?.[k]).toBeCloseTo(v, 15));
    expect(g.initialCell[0]).toBeCloseTo(0.024909397615450857, 15);
  });
});

test('h0 = c0 = null is the zero initial state', () => {
  const p = makeProblem(CONFIGS[0], ['dSequence', 'dLastCell']);
  const zeros = new Float64Array(p.shape.B * p.w.H);
  const a = lstmReferenceBackward(p.x, p.shape, p.w, null, null, p.upstream);
  const b = lstmReferenceBackward(p.x, p.shape, p.w, zeros, zeros, p.upstream);
  expect(Array.from(a.recurrentKernel)).toEqual(Array.from(b.recurrentKernel));
  expect(Array.from(a.initialCell)).toEqual(Array.from(b.initialCell));
});

describe('LSTM reference: wrong arguments give errors naming expected and given', () => {
  const p = makeProblem(CONFIGS[0], ['dLast']); // B2 T4 D3 H3
  const cases: Array<[string, () => unknown, string]> = [
    ['x too short', () => lstmReferenceForward(p.x.subarray(1), p.shape, p.w, null, null), 'expected x [B, T, D] = [2, 4, 3] (24 values), got 23 values'],
    ['kernel of [D, H]', () => lstmReferenceForward(p.x, p.shape, { ...p.w, kernel: new Float64Array(9) }, null, null), 'expected kernel [D, 4H] = [3, 12] (36 values), got 9 values'],
    ['recurrentKernel of [H, H]', () => lstmReferenceForward(p.x, p.shape, { ...p.w, recurrentKernel: new Float64Array(9) }, null, null), 'expected recurrentKernel [H, 4H] = [3, 12] (36 values), got 9 values'],
    ['bias of [H]', () => lstmReferenceForward(p.x, p.shape, { ...p.w, bias: new Float64Array(3) }, null, null), 'expected bias [4H] = [12] (12 values), got 3 values'],
    ['c0 of [H]', () => lstmReferenceForward(p.x, p.shape, p.w, null, new Float64Array(3)), 'expected c0 [B, H] = [2, 3] (6 values), got 3 values'],
    ['H not an integer', () => lstmReferenceForward(p.x, p.shape, { ...p.w, H: 2.5 }, null, null), 'expected H a positive integer, got 2.5'],
    [
      'an unknown recurrentActivation',
      () => lstmReferenceForward(p.x, p.shape, p.w, null, null, { recurrentActivation: 'hard_sigmoid' as 'sigmoid' }),
      "expected recurrentActivation 'sigmoid' or 'hardSigmoid', got 'hard_sigmoid'",
    ],
    ['no upstream', () => lstmReferenceBackward(p.x, p.shape, p.w, null, null, {}), 'expected dSequence [B, T, H], dLast [B, H] or dLastCell [B, H] (or several), got none'],
    ['dLastCell of [B, T, H]', () => lstmReferenceBackward(p.x, p.shape, p.w, null, null, { dLastCell: new Float64Array(24) }), 'expected dLastCell [B, H] = [2, 3] (6 values), got 24 values'],
  ];
  test.each(cases)('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });
});
