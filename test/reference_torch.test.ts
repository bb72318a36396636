/**
 * Golden numbers from PyTorch: the float64 LSTM and GRU references reproduce nn.LSTM's and
 * nn.GRU's forward values and gradients (test/fixtures/torch_*.json, written in float64 by
 * scripts/make_torch_fixtures.py; the command and torch version are in each file), with the
 * weights brought in through the PyTorch layout converters.
 *
 * The converters work in float32 (tfjs has no float64). The fixture weights are multiples of
 * 2^-12, so they and their bias sums pass through exactly; for the float64 gradients, the
 * converter is run on tensors holding each entry's own index, which gives the exact place every
 * PyTorch entry takes in the Keras layout.
 */
import * as tf from '@tensorflow/tfjs';
import { gruPytorchToKeras } from '../src/layouts/gru';
import { lstmPytorchToKeras } from '../src/layouts/lstm';
import type { PytorchWeightsInput } from '../src/layouts/shared';
import { gruReferenceBackward, gruReferenceForward, gruReferenceLoss } from '../src/reference/gru';
import { lstmReferenceBackward, lstmReferenceForward, lstmReferenceLoss } from '../src/reference/lstm';
import { expectNoLeak, relErr } from './helpers';
import { flatten, loadTorchFixture as loadFixture, Nested, TorchCase } from './torch_fixtures';

const TOLERANCE = 1e-12; // float64 against float64, only the order of summation differs: ~1e-15 measured

function flat(v: Nested): Float64Array {
  return Float64Array.from(flatten(v));
}

function shapeOf(v: Nested): number[] {
  const shape: number[] = [];
  for (let a: Nested = v; Array.isArray(a); a = a[0]) shape.push(a.length);
  return shape;
}

type Converter = (w: PytorchWeightsInput) => { kernel: tf.Tensor; recurrentKernel: tf.Tensor; bias: tf.Tensor | null };

/** The Keras weights as float64, converted from the fixture's PyTorch weights. */
function kerasWeights(convert: Converter, weights: Record<string, Nested>): { kernel: Float64Array; recurrentKernel: Float64Array; bias: Float64Array | null } {
  const keras = convert(weights as unknown as PytorchWeightsInput);
  const out = {
    kernel: Float64Array.from(keras.kernel.dataSync()),
    recurrentKernel: Float64Array.from(keras.recurrentKernel.dataSync()),
    bias: keras.bias === null ? null : Float64Array.from(keras.bias.dataSync()),
  };
  tf.dispose([keras.kernel, keras.recurrentKernel, keras.bias ?? []]);
  return out;
}

/**
 * PyTorch-layout float64 arrays (`torch`, by state_dict name) moved to the Keras layout exactly:
 * the converter runs on tensors holding global indices (exact in float32 below 2^24), and each
 * Keras entry takes the value its index names. Only for converters that move entries, not add them.
 */
function moveExactly(convert: Converter, torch: Record<string, Nested>): { kernel: Float64Array; recurrentKernel: Float64Array; bias: Float64Array | null } {
  const all: number[] = [];
  const indices: Record<string, tf.Tensor> = {};
  for (const [name, v] of Object.entries(torch)) {
    const values = flat(v);
    indices[name] = tf.tensor(Float32Array.from(values, (_, i) => all.length + i), shapeOf(v));
    all.push(...values);
  }
  const keras = convert(indices as unknown as PytorchWeightsInput);
  const gather = (t: tf.Tensor | null): Float64Array | null => (t === null ? null : Float64Array.from(t.dataSync(), (i) => all[i]));
  const out = { kernel: gather(keras.kernel) as Float64Array, recurrentKernel: gather(keras.recurrentKernel) as Float64Array, bias: gather(keras.bias) };
  tf.dispose([...Object.values(indices), keras.kernel, keras.recurrentKernel, keras.bias ?? []]);
  return out;
}

const worst: string[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  console.log(`float64 references vs PyTorch: ${worst.join('; ')}`);
});

/** Asserts each [name, ours, torch's] pair within TOLERANCE; returns the largest error. */
function expectClose(pairs: Pairs): number {
  let max = 0;
  for (const [name, ours, theirs] of pairs) {
    if (ours === null) throw new Error(`expected ${name}, got null`);
    const e = relErr(ours, theirs);
    max = Math.max(max, e);
    if (!(e < TOLERANCE)) throw new Error(`${name}: relErr ${e.toExponential(2)} ≥ ${TOLERANCE}`);
  }
  return max;
}

test.each(['torch_lstm.json', 'torch_gru.json'])('%s names the command that made it, and its weights lie on the float32-exact grid', (name) => {
  const fixture = loadFixture(name);
  expect(fixture.command).toBe('/usr/bin/python3 scripts/make_torch_fixtures.py');
  expect(fixture.weightGrid).toBe(2 ** -12);
  for (const c of fixture.cases) {
    for (const w of Object.values(c.weights)) expect(flat(w).every((v) => Number.isInteger(v / fixture.weightGrid) && Math.fround(v) === v)).toBe(true);
  }
});

type Pairs = Array<[string, Float64Array | null, Float64Array]>;

/** The checks every cell shares: sequence, last state, loss, kernel, recurrentKernel, input and (when given) h0 gradients. */
function commonPairs(
  c: TorchCase,
  f: { sequence: Float64Array; last: Float64Array },
  loss: number,
  g: { kernel: Float64Array; recurrentKernel: Float64Array; input: Float64Array; initialState: Float64Array },
  expected: { kernel: Float64Array; recurrentKernel: Float64Array },
): Pairs {
  const pairs: Pairs = [
    ['output', f.sequence, flat(c.forward.output)],
    ['h_n', f.last, flat(c.forward.h_n)],
    ['loss', Float64Array.of(loss), Float64Array.of(c.loss)],
    ['weight_ih_l0 gradient', g.kernel, expected.kernel],
    ['weight_hh_l0 gradient', g.recurrentKernel, expected.recurrentKernel],
    ['input gradient', g.input, flat(c.gradients.input)],
  ];
  if (c.h0 !== null) pairs.push(['h0 gradient', g.initialState, flat(c.gradients.h0)]);
  return pairs;
}

/** One test per fixture case: the pairs `check` returns all agree within TOLERANCE, with no tensor leaked. */
function describeFixture(file: string, title: string, check: (c: TorchCase) => Pairs): void {
  describe(title, () => {
    const fixture = loadFixture(file);
    let max = 0;
    afterAll(() => worst.push(`${title} ${max.toExponential(2)} (torch ${fixture.torch})`));
    test.each(fixture.cases.map((c) => [c.name, c] as const))('%s: forward values and every gradient', async (_name, c) => {
      await expectNoLeak(() => {
        max = Math.max(max, expectClose(check(c)));
      });
    });
  });
}

describeFixture('torch_lstm.json', 'nn.LSTM', (c) => {
  const { B, T, D, H } = c;
  const w = { ...kerasWeights(lstmPytorchToKeras, c.weights), H };
  const x = flat(c.input);
  const [h0, c0] = [c.h0, c.c0 ?? null].map((s) => (s === null ? null : flat(s)));
  const upstream = { dSequence: flat(c.upstream.dSequence), dLast: flat(c.upstream.dLast), dLastCell: flat(c.upstream.dLastCell) };
  const f = lstmReferenceForward(x, { B, T, D }, w, h0, c0);
  const g = lstmReferenceBackward(x, { B, T, D }, w, h0, c0, upstream);
  // The converter sums the two biases, so each bias gradient is moved alone; both equal ours
  // (the biases only appear summed), up to PyTorch's round-off.
  const { weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 } = c.gradients;
  const expected = moveExactly(lstmPytorchToKeras, { weight_ih_l0, weight_hh_l0, ...(bias_ih_l0 === undefined ? {} : { bias_ih_l0 }) });
  const expectedHh = bias_hh_l0 === undefined ? null : moveExactly(lstmPytorchToKeras, { weight_ih_l0, weight_hh_l0, bias_hh_l0 }).bias;
  const pairs = commonPairs(c, f, lstmReferenceLoss(f, upstream), g, expected);
  pairs.push(['c_n', f.lastCell, flat(c.forward.c_n)]);
  if (c0 !== null) pairs.push(['c0 gradient', g.initialCell, flat(c.gradients.c0)]);
  if (expected.bias !== null && expectedHh !== null) pairs.push(['bias_ih_l0 gradient', g.bias, expected.bias], ['bias_hh_l0 gradient', g.bias, expectedHh]);
  else expect(g.bias).toBeNull();
  return pairs;
});

describeFixture('torch_gru.json', 'nn.GRU (Keras resetAfter: true)', (c) => {
  const { B, T, D, H } = c;
  const w = { ...kerasWeights(gruPytorchToKeras, c.weights), H, resetAfter: true };
  const x = flat(c.input);
  const h0 = c.h0 === null ? null : flat(c.h0);
  const upstream = { dSequence: flat(c.upstream.dSequence), dLast: flat(c.upstream.dLast) };
  const f = gruReferenceForward(x, { B, T, D }, w, h0);
  const g = gruReferenceBackward(x, { B, T, D }, w, h0, upstream);
  const { input, h0: dh0, ...parameterGradients } = c.gradients;
  const expected = moveExactly(gruPytorchToKeras, parameterGradients);
  const pairs = commonPairs(c, f, gruReferenceLoss(f, upstream), g, expected);
  if (expected.bias !== null) pairs.push(['bias gradient (rows b_ih, b_hh)', g.bias, expected.bias]);
  else expect(g.bias).toBeNull();
  return pairs;
});
