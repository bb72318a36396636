/**
 * The float64 GRU reference (src/reference/gru.ts): its hand-written BPTT agrees with central
 * finite differences for every gradient and every combination of upstream gradients, in both of
 * Keras's forms (resetAfter true and false), for both recurrent activations, with and without bias
 * and initial state; T = 1, H = 1 cases worked by hand; and clear errors. (Its agreement with
 * PyTorch's nn.GRU, the resetAfter form, is in reference_torch.test.ts.)
 */
import { gruReferenceBackward, gruReferenceForward, gruReferenceLoss } from '../src/reference/gru';
import type { GRUReferenceOptions, GRUReferenceUpstream, GRUReferenceWeights } from '../src/reference/gru';
import type { ReferenceShape } from '../src/reference/shared';
import { drawProblem, expectKinksAvoided, f64, finiteDifferenceSuite, nonEmptySubsets, weightArgs, withWeights } from './reference_checks';
import type { ProblemConfig } from './reference_checks';

interface Config extends ProblemConfig {
  resetAfter: boolean;
  options: GRUReferenceOptions;
}

const CONFIGS: Config[] = [];
for (const resetAfter of [true, false]) {
  for (const recurrentActivation of ['sigmoid', 'hardSigmoid'] as const) {
    for (const [bias, initial] of [[true, true], [false, false], [true, false]]) {
      const size = CONFIGS.length % 2 === 0 ? { B: 2, T: 4, D: 3, H: 3 } : { B: 1, T: 6, D: 2, H: 4 };
      const name = `resetAfter ${resetAfter}, ${recurrentActivation}, bias ${bias}, h0 ${initial ? 'given' : 'absent'}`;
      const drive = recurrentActivation === 'hardSigmoid' ? 2 : 1;
      CONFIGS.push({ name, ...size, resetAfter, options: { recurrentActivation }, bias, initial, drive, seed: 2000 + CONFIGS.length * 10 });
    }
  }
}
for (const activation of ['relu', 'linear'] as const) {
  for (const resetAfter of [true, false]) {
    const name = `resetAfter ${resetAfter}, activation ${activation}`;
    CONFIGS.push({ name, B: 2, T: 4, D: 3, H: 3, resetAfter, options: { activation }, bias: true, initial: true, drive: 1, seed: 2500 + CONFIGS.length * 10 });
  }
}

type Upstream = keyof GRUReferenceUpstream;
const UPSTREAMS = nonEmptySubsets<Upstream>(['dSequence', 'dLast']);

interface Problem {
  x: Float64Array;
  shape: ReferenceShape;
  w: GRUReferenceWeights;
  h0: Float64Array | null;
  upstream: GRUReferenceUpstream;
}

function makeProblem(c: Config, upstreams: Upstream[]): Problem {
  const { B, T, H, seed } = c;
  const { x, shape, weights, h0 } = drawProblem(c, 3, (c.resetAfter ? 6 : 3) * H);
  return {
    x,
    shape,
    w: { ...weights, resetAfter: c.resetAfter },
    h0,
    upstream: {
      dSequence: upstreams.includes('dSequence') ? f64(B * T * H, seed + 6) : null,
      dLast: upstreams.includes('dLast') ? f64(B * H, seed + 7) : null,
    },
  };
}

const suite = finiteDifferenceSuite('GRU reference BPTT vs central differences');

describe.each(CONFIGS)('GRU reference BPTT vs central differences: $name (B$B T$T D$D H$H)', (c) => {
  test.each(UPSTREAMS.map((u) => [u.join(' + '), u] as const))('upstream %s: every gradient agrees', (_label, upstreams) => {
    const p = makeProblem(c, upstreams);
    const forward = gruReferenceForward(p.x, p.shape, p.w, p.h0, c.options);
    const { H } = p.w;
    expectKinksAvoided(forward.preActivations, H, 3, 2, c.options); // blocks z, r, h̃
    const g = gruReferenceBackward(p.x, p.shape, p.w, p.h0, p.upstream, c.options);
    // An absent initial state is zeros: its gradient is checked at zeros.
    const args = { ...weightArgs(p.w, p.x), initialState: p.h0 ?? new Float64Array(p.shape.B * H) };
    const loss = (a: typeof args): number => gruReferenceLoss(gruReferenceForward(a.input, p.shape, withWeights(p.w, a), a.initialState, c.options), p.upstream);
    expect(g.bias === null).toBe(!c.bias);
    suite.expectGradients(`${c.name} ${upstreams.join('+')}`, args, loss, g);
  });
});

describe('GRU reference, T = 1, H = 1, worked by hand', () => {
  // x = 1, h0 = 0.5, kernel (z, r, h) = [0, 0, 1], recurrentKernel = [0, 0, 2], so a_z = a_r = 0 and
  // z = r = σ(0) = 0.5 (σ' = 0.25); the two forms differ only in where r meets the recurrent product.
  const x = Float64Array.of(1);
  const shape = { B: 1, T: 1, D: 1 };
  const h0 = Float64Array.of(0.5);
  const kernel = Float64Array.of(0, 0, 1);
  const recurrentKernel = Float64Array.of(0, 0, 2);
  const dLast = Float64Array.of(1);

  test('resetAfter: h̃ = tanh(x·1 + 0 + r·(h0·2 + 1)) = tanh(2)', () => {
    // bias rows b = [0, 0, 0], b' = [0, 0, 1]. h = z·h0 + (1 − z)·tanh(2) = 0.25 + 0.5·0.9640275800758169.
    const w = { kernel, recurrentKernel, bias: Float64Array.of(0, 0, 0, 0, 0, 1), H: 1, resetAfter: true };
    expect(gruReferenceForward(x, shape, w, h0).last[0]).toBeCloseTo(0.7320137900379085, 15);
    // L = h: da_z = (h0 − h̃)·0.25 = -0.11600689501895423; da_h = (1 − z)(1 − tanh²2) = 0.035325412426582214;
    // da_r = da_h · n · 0.25 with n = h0·2 + 1 = 2: 0.017662706213291107;
    // dh0 = z + (da_h·r)·2 = 0.5353254124265823. Bias rows: b gets [da_z, da_r, da_h], b' gets [da_z, da_r, da_h·r].
    const g = gruReferenceBackward(x, shape, w, h0, { dLast });
    const [daz, dah, dar] = [-0.11600689501895423, 0.035325412426582214, 0.017662706213291107];
    [daz, dar, dah, daz, dar, dah * 0.5].forEach((v, k) => expect(g.bias?.[k]).toBeCloseTo(v, 15));
    expect(g.initialState[0]).toBeCloseTo(0.5353254124265823, 15);
    expect(g.recurrentKernel[2]).toBeCloseTo(dah * 0.5 * 0.5, 15); // h0 · (da_h·r)
  });

  test('resetAfter false: h̃ = tanh(x·1 + (r·h0)·2 + 1) = tanh(2.5)', () => {
    // bias [0, 0, 1]. h = 0.25 + 0.5·tanh(2.5) = 0.25 + 0.5·0.9866142981514303.
    const w = { kernel, recurrentKernel, bias: Float64Array.of(0, 0, 1), H: 1, resetAfter: false };
    expect(gruReferenceForward(x, shape, w, h0).last[0]).toBeCloseTo(0.7433071490757152, 15);
    // L = h: da_z = (h0 − h̃)·0.25 = -0.12165357453785758; da_h = 0.5·(1 − tanh²2.5) = 0.013296113341580262;
    // d(r·h0) = da_h·2, so da_r = d(r·h0)·h0·0.25 = 0.0033240283353950656 and dh0 = z + d(r·h0)·r = 0.5132961133415803.
    const g = gruReferenceBackward(x, shape, w, h0, { dLast });
    [-0.12165357453785758, 0.0033240283353950656, 0.013296113341580262].forEach((v, k) => expect(g.bias?.[k]).toBeCloseTo(v, 15));
    expect(g.initialState[0]).toBeCloseTo(0.5132961133415803, 15);
    expect(g.recurrentKernel[2]).toBeCloseTo(0.013296113341580262 * 0.25, 15); // (r·h0) · da_h
  });
});

test('h0 = null is the zero initial state', () => {
  const p = makeProblem(CONFIGS[0], ['dSequence', 'dLast']);
  const zeros = new Float64Array(p.shape.B * p.w.H);
  const a = gruReferenceBackward(p.x, p.shape, p.w, null, p.upstream);
  const b = gruReferenceBackward(p.x, p.shape, p.w, zeros, p.upstream);
  expect(Array.from(a.recurrentKernel)).toEqual(Array.from(b.recurrentKernel));
  expect(Array.from(a.initialState)).toEqual(Array.from(b.initialState));
});

describe('GRU reference: wrong arguments give errors naming expected and given', () => {
  const p = makeProblem(CONFIGS[0], ['dLast']); // B2 T4 D3 H3, resetAfter
  const cases: Array<[string, () => unknown, string]> = [
    ['kernel of [D, 4H]', () => gruReferenceForward(p.x, p.shape, { ...p.w, kernel: new Float64Array(36) }, null), 'expected kernel [D, 3H] = [3, 9] (27 values), got 36 values'],
    ['recurrentKernel of [H, H]', () => gruReferenceForward(p.x, p.shape, { ...p.w, recurrentKernel: new Float64Array(9) }, null), 'expected recurrentKernel [H, 3H] = [3, 9] (27 values), got 9 values'],
    ['a [3H] bias with resetAfter', () => gruReferenceForward(p.x, p.shape, { ...p.w, bias: new Float64Array(9) }, null), 'expected bias [2, 3H] (resetAfter) = [2, 9] (18 values), got 9 values'],
    [
      'a [2, 3H] bias without resetAfter',
      () => gruReferenceForward(p.x, p.shape, { ...p.w, resetAfter: false, bias: new Float64Array(18) }, null),
      'expected bias [3H] (resetAfter false) = [9] (9 values), got 18 values',
    ],
    ['resetAfter missing', () => gruReferenceForward(p.x, p.shape, { ...p.w, resetAfter: undefined as unknown as boolean }, null), 'expected resetAfter true or false, got undefined'],
    ['h0 of [H]', () => gruReferenceForward(p.x, p.shape, p.w, new Float64Array(3)), 'expected h0 [B, H] = [2, 3] (6 values), got 3 values'],
    ['an unknown activation', () => gruReferenceForward(p.x, p.shape, p.w, null, { activation: 'sigmoid' as 'tanh' }), "expected activation 'tanh', 'relu' or 'linear', got 'sigmoid'"],
    ['no upstream', () => gruReferenceBackward(p.x, p.shape, p.w, null, {}), 'expected dSequence [B, T, H] or dLast [B, H] (or both), got neither'],
    ['dSequence of [B, H]', () => gruReferenceBackward(p.x, p.shape, p.w, null, { dSequence: new Float64Array(6) }), 'expected dSequence [B, T, H] = [2, 4, 3] (24 values), got 6 values'],
  ];
  test.each(cases)('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });
});
