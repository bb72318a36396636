/**
 * The drop-in layers on webgpu run the fused WebGPU kernels (src/platform/webgpu/fused/engines.ts,
 * through differentiableScan's sequence engine), for every built-in cell:
 * (a) tf.profile counts the dispatches per time step, forward (predict) and backward (tf.variableGrads),
 *     and names the fused kernels (TfjsRnn*) among them; with TFJS_RNN_FUSED off the same calls run
 *     the driver's step loop and none of them;
 * (b) outputs and gradients (weights, ∂x, ∂states_0) equal stock tf.layers' on copied weights (GRU
 *     resetAfter true: no stock form) and the fused-off path's, ≤ 1e-5 relative, with returnSequences,
 *     returnState, goBackwards and initial states, and under a mask;
 * (c) a fit of several batches leaves no tensor behind, also under tfjs's test mode (IS_TEST);
 * (d) what the kernels lack (an activation without WGSL, dropout) falls back and still matches stock.
 */
import * as tf from '@tensorflow/tfjs';
import { relErr, seededArray, seededTensor } from './helpers';
import { CellKind, onStockBackend, ourLayer, stockLayer } from './layers_helpers';
import { webgpuGate } from './webgpu_gate';

const { gpuTest } = webgpuGate(__filename);

const FLAG = 'TFJS_RNN_FUSED';
const TOL = 1e-5;
const [B, D, H] = [3, 4, 5];

interface Case {
  label: string;
  kind: CellKind;
  args: Record<string, unknown>;
  /** Whether tf.layers has this form. */
  stock: boolean;
  /** Dispatches per step, forward / backward, on the fused path. */
  counts: [number, number];
  /** The fused kernels one forward step runs. */
  forwardKernels: string[];
}

const CASES: Case[] = [
  { label: 'SimpleRNN', kind: 'simpleRNN', args: {}, stock: true, counts: [2, 2], forwardKernels: ['TfjsRnnSimpleHidden'] },
  { label: 'LSTM', kind: 'lstm', args: { recurrentActivation: 'sigmoid' }, stock: true, counts: [3, 3], forwardKernels: ['TfjsRnnLstmCell', 'TfjsRnnLstmHidden'] },
  { label: 'GRU resetAfter false', kind: 'gru', args: { recurrentActivation: 'hardSigmoid' }, stock: true, counts: [2, 5], forwardKernels: ['TfjsRnnGruHiddenRb'] },
  { label: 'GRU resetAfter true', kind: 'gru', args: { resetAfter: true, recurrentActivation: 'sigmoid' }, stock: false, counts: [2, 4], forwardKernels: ['TfjsRnnGruHidden'] },
];

type Values = Array<{ shape: number[]; values: Float32Array }>;

/** Runs fn with the fused path switched as asked, then switches it back on. */
async function withFused<R>(on: boolean, fn: () => Promise<R>): Promise<R> {
  tf.env().set(FLAG, on);
  try {
    return await fn();
  } finally {
    tf.env().set(FLAG, true);
  }
}

/** Per-step counts by kernel name: tf.profile at T and 2T, (k(2T) − k(T)) / T. */
async function perStep(run: (x: tf.Tensor3D) => tf.Tensor[], T = 4): Promise<Record<string, number>> {
  const counts: Array<Record<string, number>> = [];
  for (const t of [T, 2 * T]) {
    const x = seededTensor([B, t, D], 7) as tf.Tensor3D;
    const info = await tf.profile(() => run(x));
    tf.dispose(info.result as tf.Tensor[]);
    x.dispose();
    const c: Record<string, number> = {};
    for (const k of info.kernels) c[k.name] = (c[k.name] ?? 0) + 1;
    counts.push(c);
  }
  const out: Record<string, number> = {};
  for (const name of new Set([...Object.keys(counts[0]), ...Object.keys(counts[1])])) {
    const d = ((counts[1][name] ?? 0) - (counts[0][name] ?? 0)) / T;
    if (d !== 0) out[name] = d;
  }
  return out;
}

/** Dispatches (registered kernels, Reshape and Identity excluded, as benchmarks/kernels.ts counts). */
function launches(byName: Record<string, number>): number {
  return Object.entries(byName).reduce((n, [k, v]) => n + (k !== 'Reshape' && k !== 'Identity' && tf.getKernel(k, tf.getBackend()) !== undefined ? v : 0), 0);
}

/** A built layer of `kind` (ours or stock) with the given weight values. */
function built(make: () => tf.layers.Layer, weights: Values | null, T: number): tf.layers.Layer {
  const layer = make();
  const probe = tf.zeros([B, T, D]);
  tf.dispose(layer.apply(probe) as tf.Tensor | tf.Tensor[]);
  probe.dispose();
  if (weights !== null) {
    const ts = weights.map((w) => tf.tensor(w.values, w.shape));
    layer.setWeights(ts);
    tf.dispose(ts);
  }
  return layer;
}

interface Setup {
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  initial: boolean;
  masked: boolean;
}

/**
 * Every output and gradient (weights, then x and the initial states) of L = Σ_k Σ probe_k ⊙ output_k,
 * read back, and whether a fused kernel ran. Inputs are made from seeds here, on the current backend.
 */
async function evaluate(c: Case, stock: boolean, weights: Values, s: Setup, T = 5): Promise<{ values: Float32Array[]; fused: boolean }> {
  const args = { units: H, returnSequences: s.returnSequences, returnState: s.returnState, goBackwards: s.goBackwards, ...c.args };
  const layer = built(() => (stock ? stockLayer(c.kind, args) : ourLayer(c.kind, args)), weights, T);
  const S = c.kind === 'lstm' ? 2 : 1;
  const x = seededTensor([B, T, D], 11) as tf.Tensor3D;
  const init = s.initial ? Array.from({ length: S }, (_, k) => seededTensor([B, H], 20 + k)) : [];
  const mask = s.masked ? tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], undefined, 'bool') : null;
  const outputs = (xx: tf.Tensor, states: tf.Tensor[]): tf.Tensor[] => {
    const kwargs: Record<string, unknown> = {};
    if (states.length > 0) kwargs.initialState = states;
    if (mask !== null) kwargs.mask = mask;
    const out = layer.apply(xx, kwargs) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out : [out];
  };
  const shapes = outputs(x, init).map((o) => {
    o.dispose();
    return o.shape;
  });
  const probes = shapes.map((shape, k) => seededTensor(shape, 30 + k));
  const loss = (xx: tf.Tensor, states: tf.Tensor[]) => tf.addN(outputs(xx, states).map((o, k) => tf.sum(tf.mul(o, probes[k])))) as tf.Scalar;
  const info = await tf.profile(() => {
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const g = tf.variableGrads(() => loss(x, init), vars);
    const dInputs = tf.grads((...a: tf.Tensor[]) => loss(a[0], a.slice(1)))([x, ...init]);
    g.value.dispose();
    return [...outputs(x, init), ...vars.map((v) => g.grads[v.name]), ...dInputs];
  });
  const result = info.result as tf.Tensor[];
  const values = await Promise.all(result.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...result, x, ...init, ...probes, ...(mask === null ? [] : [mask])]);
  layer.dispose();
  return { values, fused: info.kernels.some((k) => k.name.startsWith('TfjsRnn')) };
}

/** Seeded weight values for `c`'s layer of ours. */
function seededWeights(c: Case): Values {
  const layer = built(() => ourLayer(c.kind, { units: H, ...c.args }), null, 2);
  const out = layer.getWeights().map((w, i) => ({ shape: w.shape, values: seededArray(w.size, 40 + i, -0.5, 0.5) }));
  layer.dispose();
  return out;
}

function worst(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => relErr(v, b[i])));
}

const SETUPS: Array<[string, Setup]> = [
  ['last output', { returnSequences: false, returnState: false, goBackwards: false, initial: false, masked: false }],
  ['sequences and states from initial states', { returnSequences: true, returnState: true, goBackwards: false, initial: true, masked: false }],
  ['goBackwards, states', { returnSequences: false, returnState: true, goBackwards: true, initial: true, masked: false }],
];

describe.each(CASES)('$label through the drop-in layer on webgpu', (c) => {
  gpuTest(`dispatches per step: ${c.counts[0]} forward / ${c.counts[1]} backward, the fused kernels named; none with ${FLAG} off`, async () => {
    const weights = seededWeights(c);
    for (const on of [true, false]) {
      await withFused(on, async () => {
        const layer = built(() => ourLayer(c.kind, { units: H, returnSequences: true, ...c.args }), weights, 4);
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const forward = await perStep((x) => [layer.apply(x) as tf.Tensor]);
        const train = await perStep((x) => {
          const g = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
          return [g.value, ...Object.values(g.grads)];
        });
        const [f, b] = [launches(forward), launches(train) - launches(forward)];
        console.log(`${c.label} per step, fused ${on ? 'on' : 'off'}: ${f} forward / ${b} backward; ${JSON.stringify(train)}`);
        if (on) {
          expect([f, b]).toEqual(c.counts);
          for (const k of c.forwardKernels) expect(forward[k]).toBe(1);
        } else {
          expect(Object.keys(train).filter((k) => k.startsWith('TfjsRnn'))).toEqual([]);
          expect(f).toBeGreaterThan(c.counts[0]);
        }
        layer.dispose();
      });
    }
  });

  gpuTest.each(SETUPS)(`%s: outputs and gradients equal the fused-off path${c.stock ? ' and stock tf.layers' : ' (tf.layers has no such GRU)'}`, async (_name, s) => {
    const weights = seededWeights(c);
    const fused = await evaluate(c, false, weights, s);
    const plain = await withFused(false, () => evaluate(c, false, weights, s));
    expect(fused.fused).toBe(true);
    expect(plain.fused).toBe(false);
    const errPlain = worst(fused.values, plain.values);
    let errStock = NaN;
    if (c.stock) errStock = worst(fused.values, (await evaluate(c, true, weights, s)).values);
    console.log(`${c.label} ${_name}: fused vs fused-off ${errPlain.toExponential(2)}, vs stock ${errStock.toExponential(2)}`);
    expect(errPlain).toBeLessThan(TOL);
    if (c.stock) expect(errStock).toBeLessThan(TOL);
  });

  gpuTest('a fit of several batches leaves no tensor behind, and passes tfjs test mode (IS_TEST) leak checks', async () => {
    const model = tf.sequential({ layers: [ourLayer(c.kind, { units: H, inputShape: [5, D], ...c.args }), tf.layers.dense({ units: 2 })] });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const x = seededTensor([6, 5, D], 50);
    const y = seededTensor([6, 2], 51);
    await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 }); // the optimizer's slots are made here
    const before = tf.memory().numTensors;
    const profile = await tf.profile(async () => {
      await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, shuffle: false });
    });
    expect(profile.kernels.some((k) => k.name.startsWith('TfjsRnn'))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    tf.env().set('IS_TEST', true); // tfjs checks every kernel and customGrad for leaked data ids
    try {
      await model.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
    } finally {
      tf.env().set('IS_TEST', false);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });
});

gpuTest.each(CASES.map((c) => [c.label, c] as const))('%s under a mask: the fused path equals the fused-off path and stock (stock on cpu: its masked loop fails on webgpu)', async (_label, c) => {
  const s: Setup = { returnSequences: true, returnState: true, goBackwards: false, initial: true, masked: true };
  const weights = seededWeights(c);
  const fused = await evaluate(c, false, weights, s);
  const plain = await withFused(false, () => evaluate(c, false, weights, s));
  expect(fused.fused).toBe(true);
  expect(plain.fused).toBe(false);
  const e1 = worst(fused.values, plain.values);
  const e2 = c.stock ? worst(fused.values, (await onStockBackend('webgpu', true, () => evaluate(c, true, weights, s))).values) : 0;
  console.log(`${c.label} masked: fused vs fused-off ${e1.toExponential(2)}${c.stock ? `, vs stock ${e2.toExponential(2)}` : ''}`);
  expect(Math.max(e1, e2)).toBeLessThan(TOL);
});

gpuTest('what the kernels lack falls back and matches stock: an elu activation; dropout in training', async () => {
  const elu: Case = { ...CASES[1], label: 'LSTM elu', args: { activation: 'elu', recurrentActivation: 'sigmoid' } };
  const s = SETUPS[1][1];
  const weights = seededWeights(elu);
  const ours = await evaluate(elu, false, weights, s);
  const stock = await evaluate(elu, true, weights, s);
  expect(ours.fused).toBe(false);
  expect(worst(ours.values, stock.values)).toBeLessThan(TOL);
  // Dropout: its masks are constants of training calls only; predict stays fused.
  const layer = built(() => ourLayer('gru', { units: H, recurrentDropout: 0.3, recurrentActivation: 'sigmoid' }), null, 5);
  const x = seededTensor([B, 5, D], 60);
  const kernelsOf = async (training: boolean) => {
    const info = await tf.profile(() => layer.apply(x, { training }) as tf.Tensor);
    (info.result as tf.Tensor).dispose();
    return info.kernels.map((k) => k.name);
  };
  const [train, predict] = [await kernelsOf(true), await kernelsOf(false)];
  expect(train.some((k) => k.startsWith('TfjsRnn'))).toBe(false);
  expect(predict.some((k) => k.startsWith('TfjsRnn'))).toBe(true);
  x.dispose();
  layer.dispose();
});
