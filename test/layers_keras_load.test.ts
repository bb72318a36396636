/**
 * Drop-in layers, proof 2: a Keras model with GRU reset_after=True (Keras's default since 2.3), in
 * tensorflowjs_converter's format (test/fixtures/keras_gru_reset_after/, made by its
 * make_fixture.py): Input → Bidirectional(GRU(4, return_sequences)) → GRU(3) → Dense(2), weights
 * named 'bidirectional/forward_gru/gru_cell/kernel' and so on. tf.loadLayersModel refuses it; our
 * loadLayersModel loads it, and its predictions equal the float64 reference GRU
 * (src/reference/gru.ts) run on the weights in the fixture's own weight file.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readModelArtifacts } from '../src/io/tfjs_artifacts';
import { loadLayersModel } from '../src/layers/load_layers_model';
import { gruReferenceForward } from '../src/reference/gru';
import { backendsUnderTest, expectNoLeak, relErr, seededTensor, useBackend } from './helpers';

const DIR = path.join(__dirname, 'fixtures', 'keras_gru_reset_after');
const [T, D, H1, H2, O] = [6, 3, 4, 3, 2];
const B = 3;

/** The fixture's weights by name, in float64, read straight from its manifest and shard. */
function fixtureWeights(): Map<string, Float64Array> {
  const json = JSON.parse(fs.readFileSync(path.join(DIR, 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[] }> }>;
  };
  const group = json.weightsManifest[0];
  const bytes = fs.readFileSync(path.join(DIR, group.paths[0]));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Map<string, Float64Array>();
  let offset = 0;
  for (const w of group.weights) {
    const n = w.shape.reduce((p, s) => p * s, 1);
    out.set(w.name, Float64Array.from(values.subarray(offset, offset + n)));
    offset += n;
  }
  return out;
}

/** [B, T, K] with time reversed. */
function reverseTime(a: Float64Array, K: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(a.subarray((b * T + t) * K, (b * T + t + 1) * K), (b * T + (T - 1 - t)) * K);
  return out;
}

/** The model in float64: Bidirectional(GRU) (concat) → GRU → Dense. */
function referencePredict(x: Float64Array): Float64Array {
  const w = fixtureWeights();
  const gruOf = (prefix: string, H: number) => ({
    kernel: w.get(`${prefix}/gru_cell/kernel`)!,
    recurrentKernel: w.get(`${prefix}/gru_cell/recurrent_kernel`)!,
    bias: w.get(`${prefix}/gru_cell/bias`)!,
    H,
    resetAfter: true,
  });
  const fwd = gruReferenceForward(x, { B, T, D }, gruOf('bidirectional/forward_gru', H1), null).sequence; // [B, T, H1]
  const bwd = reverseTime(gruReferenceForward(reverseTime(x, D), { B, T, D }, gruOf('bidirectional/backward_gru', H1), null).sequence, H1);
  const both = new Float64Array(B * T * 2 * H1); // [B, T, 2·H1], concat
  for (let r = 0; r < B * T; r++) {
    both.set(fwd.subarray(r * H1, (r + 1) * H1), r * 2 * H1);
    both.set(bwd.subarray(r * H1, (r + 1) * H1), r * 2 * H1 + H1);
  }
  const last = gruReferenceForward(both, { B, T, D: 2 * H1 }, gruOf('gru_1', H2), null).last; // [B, H2]
  const [Wd, bd] = [w.get('dense/kernel')!, w.get('dense/bias')!];
  const y = new Float64Array(B * O);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) {
    let s = bd[o];
    for (let k = 0; k < H2; k++) s += last[b * H2 + k] * Wd[k * O + o];
    y[b * O + o] = s;
  }
  return y;
}

describe('a Keras GRU reset_after=True model (tensorflowjs_converter format)', () => {
  it('is refused by tf.loadLayersModel (the tfjs gap this closes)', async () => {
    await useBackend('cpu');
    const artifacts = readModelArtifacts(DIR);
    await expect(tf.loadLayersModel({ load: async () => artifacts })).rejects.toThrow(/reset_after/);
  });
});

describe.each(backendsUnderTest())('a Keras GRU reset_after=True model loads and predicts (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('loads with our GRU layers, the converter’s weight names mapped, 341 parameters', async () => {
    const model = await loadLayersModel(path.join(DIR, 'model.json'));
    expect(model.countParams()).toBe(341);
    // The recurrent layers as the loaded model serializes them (Bidirectional's own are inside its config).
    type LayerJson = { class_name: string; config: { reset_after?: boolean; layer?: LayerJson } };
    const topology = model.toJSON(null, false) as { config: { layers: LayerJson[] } };
    const recurrent = topology.config.layers.map((l) => l.config.layer ?? l).filter((l) => !['InputLayer', 'Dense'].includes(l.class_name));
    expect(recurrent.map((l) => [l.class_name, l.config.reset_after])).toEqual([
      ['TfjsRnnGRU', true],
      ['TfjsRnnGRU', true],
    ]);
    expect(model.weights.map((w) => w.originalName)).toContain('bidirectional/backward_gru/bias'); // from .../backward_gru/gru_cell/bias
    model.dispose();
  });

  it('predicts what the float64 reference computes from the fixture’s weights', async () => {
    const model = await loadLayersModel(path.join(DIR, 'model.json'));
    const x = seededTensor([B, T, D], 7);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([B, O]);
    const ref = referencePredict(Float64Array.from(await x.data()));
    const err = relErr(await y.data(), ref);
    console.log(`${backend} Keras GRU reset_after model vs float64 reference: relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('trains: a fit() step changes every weight, and leaks nothing', async () => {
    const model = await loadLayersModel(path.join(DIR, 'model.json'));
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = seededTensor([B, T, D], 8);
    const y = seededTensor([B, O], 9);
    const before = await Promise.all(model.getWeights().map((w) => w.data()));
    await expectNoLeak(async () => {
      await model.fit(x, y, { epochs: 1, batchSize: B, verbose: 0 });
    });
    const after = await Promise.all(model.getWeights().map((w) => w.data()));
    after.forEach((a, i) => expect(relErr(a, before[i])).toBeGreaterThan(0));
    tf.dispose([x, y]);
    model.dispose();
  });
});
