/**
 * The float64 reference (src/reference/simple_rnn.ts): its hand-written BPTT agrees with central finite
 * differences for every gradient, and its forward pass reproduces the golden final state printed by
 * the numpy SimpleRNN class of the seed document ../shared/seeds/004.
 */
import {
  finiteDifferenceGrad,
  referenceBackward,
  referenceForward,
  referenceLoss,
  ReferenceActivation,
  ReferenceShape,
  ReferenceUpstream,
  ReferenceWeights,
  simpleRNNReferenceBackward,
  simpleRNNReferenceForward,
  simpleRNNReferenceLoss,
} from '../src/reference/simple_rnn';
import { relErr, seededArray } from './helpers';

// Float64 with eps 1e-6: round-off in the differences is ~1e-10 absolute; the worst case seen (2.8e-8)
// is the h0 gradient after 7 steps, which is small, so the norm-wise error is relatively larger.
const TOLERANCE = 1e-7;
const KINK_MARGIN = 1e-3; // relu: |a| must stay well above the finite-difference step's effect on a

type Param = 'kernel' | 'recurrentKernel' | 'bias' | 'input' | 'initialState';
const PARAMS: Param[] = ['kernel', 'recurrentKernel', 'bias', 'input', 'initialState'];

function f64(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from(seededArray(n, seed, lo, hi));
}

interface Problem {
  x: Float64Array; // [B, T, D]
  shape: ReferenceShape;
  weights: ReferenceWeights;
  h0: Float64Array; // [B, H]
  upstream: ReferenceUpstream;
}

function makeProblem(B: number, T: number, D: number, H: number, seed: number, upstream: 'sequence' | 'last' | 'both'): Problem {
  return {
    x: f64(B * T * D, seed + 1),
    shape: { B, T, D },
    weights: {
      kernel: f64(D * H, seed + 2, -0.8, 0.8),
      recurrentKernel: f64(H * H, seed + 3, -0.6, 0.6),
      bias: f64(H, seed + 4, -0.5, 0.5),
      H,
    },
    h0: f64(B * H, seed + 5),
    upstream: {
      dSequence: upstream === 'last' ? null : f64(B * T * H, seed + 6),
      dLast: upstream === 'sequence' ? null : f64(B * H, seed + 7),
    },
  };
}

/** L as a function of one parameter, the others held at the problem's values. */
function lossOf(problem: Problem, param: Param, activation: ReferenceActivation): (p: Float64Array) => number {
  return (p) => {
    const w = { ...problem.weights };
    let x = problem.x;
    let h0 = problem.h0;
    if (param === 'kernel') w.kernel = p;
    if (param === 'recurrentKernel') w.recurrentKernel = p;
    if (param === 'bias') w.bias = p;
    if (param === 'input') x = p;
    if (param === 'initialState') h0 = p;
    return referenceLoss(referenceForward(x, problem.shape, w, h0, activation), problem.upstream);
  };
}

function valueOf(problem: Problem, param: Param): Float64Array {
  if (param === 'input') return problem.x;
  if (param === 'initialState') return problem.h0;
  const v = problem.weights[param];
  if (v === null) throw new Error('bias is null');
  return v;
}

const worst: Record<string, number> = {};

afterAll(() => {
  const max = Math.max(...Object.values(worst));
  // One line for the proof report: the largest BPTT-vs-finite-difference relative error seen.
  console.log(`reference BPTT vs central differences: max relErr ${max.toExponential(2)} over ${Object.keys(worst).length} cases`);
});

describe.each([
  { B: 2, T: 4, D: 3, H: 5, seed: 100 },
  { B: 1, T: 7, D: 2, H: 3, seed: 200 },
])('reference BPTT vs central differences, B$B T$T D$D H$H', ({ B, T, D, H, seed }) => {
  describe.each(['tanh', 'relu', 'linear'] as ReferenceActivation[])('%s', (activation) => {
    test.each(['sequence', 'last', 'both'] as const)('upstream on %s: every gradient agrees', (upstream) => {
      const problem = makeProblem(B, T, D, H, seed, upstream);
      const { preActivations } = referenceForward(problem.x, problem.shape, problem.weights, problem.h0, activation);
      if (activation === 'relu') {
        // Finite differences across the kink at a = 0 would be meaningless: check we are far from it.
        const nearest = Math.min(...Array.from(preActivations, Math.abs));
        expect(nearest).toBeGreaterThan(KINK_MARGIN);
        expect(preActivations.some((a) => a > 0)).toBe(true);
      }
      const g = referenceBackward(problem.x, problem.shape, problem.weights, problem.h0, activation, problem.upstream);
      for (const param of PARAMS) {
        const analytic = g[param];
        if (analytic === null) throw new Error('bias gradient is null');
        const numeric = finiteDifferenceGrad(lossOf(problem, param, activation), valueOf(problem, param));
        const e = relErr(analytic, numeric);
        worst[`${B}x${T}x${D}x${H} ${activation} ${upstream} ${param}`] = e;
        expect(Math.max(...Array.from(numeric, Math.abs))).toBeGreaterThan(1e-3); // a gradient worth checking
        expect(e).toBeLessThan(TOLERANCE);
      }
    });
  });
});

test('no bias: bias gradient is null, the other gradients agree with central differences', () => {
  const problem = makeProblem(2, 3, 2, 4, 300, 'both');
  problem.weights.bias = null;
  const g = referenceBackward(problem.x, problem.shape, problem.weights, problem.h0, 'tanh', problem.upstream);
  expect(g.bias).toBeNull();
  for (const param of ['kernel', 'recurrentKernel', 'input', 'initialState'] as const) {
    const numeric = finiteDifferenceGrad(lossOf(problem, param, 'tanh'), valueOf(problem, param));
    expect(relErr(g[param], numeric)).toBeLessThan(TOLERANCE);
  }
});

test('the per-cell names are the same functions', () => {
  expect(simpleRNNReferenceForward).toBe(referenceForward);
  expect(simpleRNNReferenceBackward).toBe(referenceBackward);
  expect(simpleRNNReferenceLoss).toBe(referenceLoss);
});

test('h0 = null is the zero initial state', () => {
  const problem = makeProblem(2, 3, 2, 4, 400, 'both');
  const zeros = new Float64Array(2 * 4);
  const a = referenceForward(problem.x, problem.shape, problem.weights, null, 'tanh');
  const b = referenceForward(problem.x, problem.shape, problem.weights, zeros, 'tanh');
  expect(Array.from(a.sequence)).toEqual(Array.from(b.sequence));
  const ga = referenceBackward(problem.x, problem.shape, problem.weights, null, 'tanh', problem.upstream);
  const gb = referenceBackward(problem.x, problem.shape, problem.weights, zeros, 'tanh', problem.upstream);
  expect(Array.from(ga.recurrentKernel)).toEqual(Array.from(gb.recurrentKernel));
});

test('wrong sizes give errors naming expected and given', () => {
  const p = makeProblem(2, 3, 2, 4, 500, 'both');
  expect(() => referenceForward(p.x.subarray(1), p.shape, p.weights, null, 'tanh')).toThrow(
    'expected x [B, T, D] = [2, 3, 2] (12 values), got 11 values',
  );
  expect(() => referenceForward(p.x, p.shape, { ...p.weights, kernel: new Float64Array(9) }, null, 'tanh')).toThrow(
    'expected kernel [D, H] = [2, 4] (8 values), got 9 values',
  );
  expect(() => referenceForward(p.x, p.shape, p.weights, new Float64Array(4), 'tanh')).toThrow(
    'expected h0 [B, H] = [2, 4] (8 values), got 4 values',
  );
  expect(() => referenceBackward(p.x, p.shape, p.weights, null, 'tanh', {})).toThrow(
    'expected dSequence [B, T, H] or dLast [B, H] (or both), got neither',
  );
});

test('seed 004 golden: final hidden state [0.79494228, 0.81839002, 0.83939649, 0.85584174]', () => {
  // Source, /work/shared/seeds/004 (numpy, a_t = x_t @ Wx + h_t @ Wh + b; h_t = tanh(a_t)):
  //   x = np.array([[[1, 2], [2, 3], [3, 4]]])/100                          # (batch_size, n_sequences, n_features)
  //   w_x = np.array([[1, 3, 5, 7], [3, 5, 7, 8]])/100                      # (n_features, n_nodes)
  //   w_h = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]])/100  # (n_nodes, n_nodes)
  //   b = np.array([1, 1, 1, 1])
  //   print("Final hidden state:\n", h_final)
  //   Final hidden state:
  //    [[0.79494228 0.81839002 0.83939649 0.85584174]]
  // That class's Wx [n_features, n_nodes] and Wh are already Keras layout.
  const x = Float64Array.from([1, 2, 2, 3, 3, 4], (v) => v / 100); // [1, 3, 2]
  const kernel = Float64Array.from([1, 3, 5, 7, 3, 5, 7, 8], (v) => v / 100); // [2, 4]
  const recurrentKernel = Float64Array.from([1, 3, 5, 7, 2, 4, 6, 8, 3, 5, 7, 8, 4, 6, 8, 10], (v) => v / 100); // [4, 4]
  const bias = Float64Array.from([1, 1, 1, 1]); // [4]
  const { last, sequence } = referenceForward(x, { B: 1, T: 3, D: 2 }, { kernel, recurrentKernel, bias, H: 4 }, null, 'tanh');
  const golden = [0.79494228, 0.81839002, 0.83939649, 0.85584174];
  for (let j = 0; j < 4; j++) {
    expect(Math.abs(last[j] - golden[j])).toBeLessThan(1e-8);
    expect(sequence[2 * 4 + j]).toBe(last[j]);
  }
});
