/**
 * User-defined cells through `layers.rnn({ cell })` (examples/custom_cell.ts's IndRNN, step-only and
 * with a manual backward): forward against a float64 loop; predictions, gradients and fit() against
 * tfjs autodiff — the same step run by stock tf.layers.rnn, whose per-step loop tfjs differentiates —
 * with masks, goBackwards, stacking and Bidirectional; serialization by registered name; no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { indRNN, indRNNFloat64, indRNNManual } from '../examples/custom_cell';
import { layers } from '../src';
import type { CellDefinition } from '../src';
import { backendsUnderTest, expectNoLeak, relErr, seededTensor, useBackend } from './helpers';
import { onStockBackend, outputsRelErr, seedWeights, setWeightValues, weightValues } from './layers_helpers';

const [B, T, D, H] = [4, 6, 3, 5];
const TOL = 1e-5;

/** The same step as a stock tf.layers RNN cell: tf.layers.rnn runs it and tfjs autodiff differentiates it. */
class StockStepCell extends tf.layers.Layer {
  static className = 'TestStockStepCell';
  readonly stateSize: number[];
  [param: string]: unknown;
  constructor(private readonly def: CellDefinition, readonly units: number) {
    super({});
    this.stateSize = (def.stateNames ?? ['h']).map(() => units);
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    for (const p of this.def.parameters) this[p.name] = this.addWeight(p.name, p.shape(shape[shape.length - 1] as number, this.units), 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const [x, ...states] = inputs as tf.Tensor[];
    const params: Record<string, tf.Tensor> = {};
    for (const p of this.def.parameters) params[p.name] = (this[p.name] as tf.LayerVariable).read();
    const W = this.def.parameters.find((p) => p.finish?.product === 'input');
    const p = W === undefined ? x : tf.matMul(x as tf.Tensor2D, params[W.name] as tf.Tensor2D);
    const next = this.def.step(p as tf.Tensor2D, states as tf.Tensor2D[], params, {});
    return [next[0], ...next];
  }
}

type Build = (rnn: (returnSequences: boolean, goBackwards?: boolean) => tf.layers.Layer, ours: boolean) => tf.LayersModel;

/** Bidirectional (last outputs, concat): ours wrapped by tf.layers.bidirectional; stock as its two directions side by side. */
function bidirectional(rnn: (returnSequences: boolean, goBackwards?: boolean) => tf.layers.Layer, ours: boolean): tf.LayersModel {
  if (ours) return tf.sequential({ layers: [tf.layers.bidirectional({ layer: rnn(false) as tf.RNN, mergeMode: 'concat', inputShape: [T, D] }), tf.layers.dense({ units: 2 })] });
  const x = tf.input({ shape: [T, D] });
  const [f, b] = [rnn(false).apply(x), rnn(false, true).apply(x)] as tf.SymbolicTensor[];
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.concatenate().apply([f, b])) as tf.SymbolicTensor });
}

const SHAPES: Array<[string, Build]> = [
  ['one layer', (rnn) => tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [T, D] }), rnn(false), tf.layers.dense({ units: 2 })] })],
  ['masked', (rnn) => tf.sequential({ layers: [tf.layers.masking({ maskValue: 0, inputShape: [T, D] }), rnn(true), tf.layers.dense({ units: 2 })] })],
  ['goBackwards', (rnn) => tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [T, D] }), rnn(true, true), tf.layers.dense({ units: 2 })] })],
  ['stacked', (rnn) => tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [T, D] }), rnn(true), rnn(false), tf.layers.dense({ units: 2 })] })],
  ['bidirectional', bidirectional],
];

/** x with the last two steps of sequence 1 and the last of sequence 3 zeroed (masked out by Masking). */
function inputs(seed: number): tf.Tensor3D {
  return tf.tidy(() => {
    const m = tf.buffer([B, T, 1]);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) m.set(b === 1 && t >= T - 2 ? 0 : b === 3 && t === T - 1 ? 0 : 1, b, t, 0);
    return tf.mul(seededTensor([B, T, D], seed), m.toTensor()) as tf.Tensor3D;
  });
}

/** Gradients of Σ predict(x) ⊙ r with respect to every trainable weight. */
function weightGrads(model: tf.LayersModel, x: tf.Tensor, r: tf.Tensor): tf.Tensor[] {
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.predict(x) as tf.Tensor, r)) as tf.Scalar, vars);
  return vars.map((v) => grads[v.name]);
}

describe.each(backendsUnderTest())('user-defined cells in layers.rnn (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each([indRNN, indRNNManual])('$name: forward as the float64 loop', async (cell) => {
    const model = tf.sequential({ layers: [layers.rnn({ cell, units: H, inputShape: [T, D] })] });
    seedWeights(model, 3);
    const x = seededTensor([B, T, D], 4);
    const [W, u, b] = await Promise.all(model.getWeights().map(async (w) => Float64Array.from(await w.data())));
    const y = model.predict(x) as tf.Tensor;
    const err = relErr(await y.data(), indRNNFloat64(Float64Array.from(await x.data()), B, T, D, W, u, b));
    console.log(`${backend} ${cell.name} forward vs float64: ${err.toExponential(2)}`);
    expect(err).toBeLessThan(TOL);
    tf.dispose([x, y]);
    model.dispose();
  });

  describe.each(SHAPES)('%s', (label, build) => {
    it.each([indRNN, indRNNManual])('$name: predictions, gradients and fit() as tfjs autodiff', async (cell) => {
      const ours = build((returnSequences, goBackwards) => layers.rnn({ cell, units: H, returnSequences, goBackwards }), true);
      seedWeights(ours, 10, 0.4);
      const weights = await weightValues(ours);
      const xValues = await inputs(11).data();
      const yShape = [B, ...(ours.outputs[0].shape.slice(1) as number[])];
      const yValues = await seededTensor(yShape, 12).data();
      /** Predictions, every weight gradient and the weights after fit(), read back. */
      const measure = async (m: tf.LayersModel): Promise<Float32Array[]> => {
        const [x, y] = [tf.tensor3d(xValues, [B, T, D]), tf.tensor(yValues, yShape)];
        const p = m.predict(x) as tf.Tensor;
        const g = weightGrads(m, x, y);
        m.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
        await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
        const out = await Promise.all([p, ...g, ...m.getWeights()].map(async (t) => (await t.data()) as Float32Array));
        tf.dispose([x, y, p, ...g]);
        return out;
      };
      const a = await measure(ours);
      // tf.layers' own masked loop cannot run on webgpu (onStockBackend): its side runs on cpu there.
      const b = await onStockBackend(backend, label === 'masked', async () => {
        const stock = build((returnSequences, goBackwards) => tf.layers.rnn({ cell: new StockStepCell(cell, H) as unknown as tf.layers.Layer as never, returnSequences, goBackwards }), false);
        setWeightValues(stock, weights);
        const r = await measure(stock);
        stock.dispose();
        return r;
      });
      const nGrads = weights.length;
      const err = (from: number, to: number) => Math.max(...a.slice(from, to).map((v, i) => relErr(v, b[from + i])));
      const [predictErr, gradErr, fitErr] = [err(0, 1), err(1, 1 + nGrads), err(1 + nGrads, a.length)];
      console.log(`${backend} ${cell.name} ${label}: predict ${predictErr.toExponential(2)}, grads ${gradErr.toExponential(2)}, fit ${fitErr.toExponential(2)}`);
      expect(predictErr).toBeLessThan(TOL);
      expect(gradErr).toBeLessThan(TOL);
      expect(fitErr).toBeLessThan(10 * TOL);
      ours.dispose();
    });
  });

  it.each([indRNN, indRNNManual])('$name: fit() and predict() leak no tensor', async (cell) => {
    const model = tf.sequential({ layers: [layers.rnn({ cell, units: H, inputShape: [T, D] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const x = seededTensor([8, T, D], 20);
    const y = seededTensor([8, 1], 21);
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }); // optimizer state made
    await expectNoLeak(async () => {
      await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
      tf.dispose(model.predict(x) as tf.Tensor);
    });
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('layers.rnn: serialization and errors', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('a saved model loads where its cell is registered by name, and predicts the same', async () => {
    layers.registerCell(indRNN);
    const model = tf.sequential({ layers: [layers.rnn({ cell: indRNN, units: H, inputShape: [T, D] }), tf.layers.dense({ units: 2 })] });
    seedWeights(model, 30);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as unknown as tf.io.ModelArtifacts));
    const x = seededTensor([B, T, D], 31);
    const [p, q] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
    expect(await outputsRelErr(q, p)).toBe(0);
    tf.dispose([x, p, q]);
    model.dispose();
    loaded.dispose();
  });

  it('refuses bad cells, naming what was expected and given', () => {
    expect(() => layers.rnn({ cell: 'NoSuchCell', units: 3 })).toThrow(/expected a cell registered with registerCell, got 'NoSuchCell'/);
    expect(() => layers.registerCell({ ...indRNN })).toThrow(/expected one cell per name, got a second cell named 'IndRNN'/);
    expect(() => layers.rnn({ cell: { name: 'X' } as unknown as CellDefinition, units: 3 })).toThrow(/expected a cell \{ name, parameters, step/);
    const twice = { ...indRNN, parameters: [indRNN.parameters[0], indRNN.parameters[0]] };
    expect(() => layers.rnn({ cell: twice, units: 3 })).toThrow(/distinct names, got 'kernel' twice/);
    expect(() => layers.rnn({ cell: indRNN, units: 0 })).toThrow(/expected units to be a positive integer, got 0/);
    const bad = { ...indRNN, name: 'BadInit', parameters: [{ ...indRNN.parameters[0], initializer: 'glorotUnifrom' }] };
    expect(() => tf.sequential({ layers: [layers.rnn({ cell: bad, units: 3, inputShape: [T, D] })] })).toThrow(/BadInit\.kernel's initializer to be a tf\.initializers name .*got 'glorotUnifrom'/);
  });
});
