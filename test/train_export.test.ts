/**
 * The exported model (model.json + weights.bin in the tfjs-layers format, stock class names) loads
 * with stock tf.loadLayersModel into tf.layers' Embedding / SimpleRNN / LSTM / GRU / Bidirectional /
 * Dense and predicts what our model predicts (relErr ≤ 1e-5), for every cell and model shape the
 * trainer builds. A GRU with resetAfter: true is written in Keras's form: stock tfjs refuses it,
 * our loadLayersModel reads it and predicts the same. Loading treats model.json as untrusted:
 * weight paths outside the model's directory, links and wrong sizes are refused, and nothing
 * outside the directory is opened.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel } from '../src/layers';
import { initBackend } from '../src/platform';
import { exportLayersModel, loadExportedModel, stockReadable } from '../src/train/export';
import { ModelSpec, RnnModel } from '../src/train/model';
import { relErr, seededArray } from './helpers';
import { modelSpec, recordOpens, tempDir } from './train_helpers';

const B = 4;
const T = 7;
const ids = (vocab: number, seed: number) => tf.tensor2d(Int32Array.from(seededArray(B * T, seed, 0, vocab), Math.floor), [B, T], 'int32');
const real = (seed: number) => tf.tensor3d(seededArray(B * T * 2, seed), [B, T, 2]);

const sentimentShape = { input: { kind: 'tokens', vocabSize: 5000 }, embeddingDim: 32, activation: 'tanh', outputDim: 1, objective: 'binary', returnSequences: false } as const;
const addingShape = { input: { kind: 'real', dim: 2 }, embeddingDim: 0, outputDim: 1, objective: 'mse', returnSequences: false } as const;
const charsShape = { input: { kind: 'tokens', vocabSize: 30 }, embeddingDim: 6, activation: 'tanh', outputDim: 30, objective: 'categorical', returnSequences: true } as const;

const cases: Array<{ name: string; spec: ModelSpec; x: () => tf.Tensor; layers: string[] }> = [
  {
    name: "seed 002's model: Embedding(5000, 32) → SimpleRNN(100) → Dense(1, sigmoid)",
    spec: modelSpec({ ...sentimentShape, units: 100, seed: 2 }),
    x: () => ids(5000, 21),
    layers: ['Embedding', 'SimpleRNN', 'Dense'],
  },
  {
    name: 'SimpleRNN(relu) → Dense(1) on real-valued sequences',
    spec: modelSpec({ ...addingShape, units: 8, activation: 'relu', seed: 3 }),
    x: () => real(22),
    layers: ['SimpleRNN', 'Dense'],
  },
  {
    name: 'chars: Embedding → SimpleRNN (sequences) → Dense(V, softmax)',
    spec: modelSpec({ ...charsShape, units: 9, seed: 4 }),
    x: () => ids(30, 23),
    layers: ['Embedding', 'SimpleRNN', 'Dense'],
  },
  {
    name: 'LSTM → Dense(1) on real-valued sequences',
    spec: modelSpec({ ...addingShape, cell: 'lstm', units: 8, activation: 'tanh', seed: 5 }),
    x: () => real(24),
    layers: ['LSTM', 'Dense'],
  },
  {
    name: 'chars: Embedding → 2 × LSTM (sequences) → Dense(V, softmax)',
    spec: modelSpec({ ...charsShape, cell: 'lstm', layers: 2, units: 5, seed: 6 }),
    x: () => ids(30, 25),
    layers: ['Embedding', 'LSTM', 'LSTM', 'Dense'],
  },
  {
    name: 'Embedding → GRU (resetAfter false) → Dense(1, sigmoid)',
    spec: modelSpec({ ...sentimentShape, cell: 'gru', units: 6, seed: 7 }),
    x: () => ids(5000, 26),
    layers: ['Embedding', 'GRU', 'Dense'],
  },
  {
    name: '2 × Bidirectional(GRU, resetAfter false) → Dense(1)',
    spec: modelSpec({ ...addingShape, cell: 'gru', layers: 2, bidirectional: true, units: 4, activation: 'tanh', seed: 8 }),
    x: () => real(27),
    layers: ['Bidirectional', 'Bidirectional', 'Dense'],
  },
  {
    name: 'Embedding → Bidirectional(SimpleRNN) → Dense(1, sigmoid)',
    spec: modelSpec({ ...sentimentShape, bidirectional: true, units: 5, seed: 9 }),
    x: () => ids(5000, 28),
    layers: ['Embedding', 'Bidirectional', 'Dense'],
  },
];

/** A model of spec whose weights are moved off their initial values (two equal inits cannot pass the test). */
function trainedLike(spec: ModelSpec): RnnModel {
  const model = new RnnModel(spec);
  tf.tidy(() => model.variables.forEach((v, j) => v.assign(tf.add(v, tf.tensor(seededArray(v.size, 100 + j, -0.1, 0.1), v.shape)))));
  return model;
}

/** Our prediction and the loaded model's on x agree (relErr ≤ 1e-5); disposes x, the loaded model and the predictions. */
function expectSamePredictions(model: RnnModel, loaded: tf.LayersModel, x: tf.Tensor): void {
  const ours = model.predict(x);
  const theirs = loaded.predict(x) as tf.Tensor;
  expect(theirs.shape).toEqual(ours.shape);
  expect(relErr(theirs.dataSync(), ours.dataSync())).toBeLessThanOrEqual(1e-5);
  tf.dispose([x, ours, theirs]);
  loaded.dispose();
}

describe('export to tfjs-layers, read by stock tf.loadLayersModel', () => {
  const root = tempDir('export');
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  cases.forEach((c, i) => {
    it(c.name, async () => {
      const before = tf.memory().numTensors;
      const model = trainedLike(c.spec);
      expect(stockReadable(model)).toBe(true);
      const dir = path.join(root, String(i));
      await exportLayersModel(model, dir);
      expect(fs.existsSync(path.join(dir, 'model.json'))).toBe(true);
      const loaded = await loadExportedModel(dir);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(c.layers);
      expectSamePredictions(model, loaded, c.x());
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe("a GRU with resetAfter: true is exported in Keras's form", () => {
  const root = tempDir('export-reset-after');
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const resetAfter: Array<{ name: string; spec: ModelSpec; x: () => tf.Tensor }> = [
    { name: 'GRU → Dense(1)', spec: modelSpec({ ...addingShape, cell: 'gru', resetAfter: true, units: 6, activation: 'tanh', seed: 10 }), x: () => real(29) },
    { name: 'Embedding → 2 × Bidirectional(GRU) → Dense(1, sigmoid)', spec: modelSpec({ ...sentimentShape, cell: 'gru', resetAfter: true, layers: 2, bidirectional: true, units: 4, seed: 11 }), x: () => ids(5000, 30) },
  ];
  resetAfter.forEach((c, i) => {
    it(`${c.name}: class GRU, reset_after true, bias [2, 3H]; stock tfjs refuses it, ours predicts the same`, async () => {
      const before = tf.memory().numTensors;
      const model = trainedLike(c.spec);
      expect(stockReadable(model)).toBe(false);
      const dir = path.join(root, String(i));
      await exportLayersModel(model, dir);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const stored = json.modelTopology.config.layers as Array<{ class_name: string; config: { reset_after?: boolean; layer?: { class_name: string; config: { reset_after?: boolean } } } }>;
      const grus = stored.map((l) => (l.class_name === 'Bidirectional' ? l.config.layer : l)).filter((l) => l?.class_name === 'GRU');
      expect(grus.length).toBe(c.spec.layers);
      for (const g of grus) expect(g?.config.reset_after).toBe(true);
      const biases = (json.weightsManifest[0].weights as Array<{ name: string; shape: number[] }>).filter((w) => w.name.endsWith('/bias') && !w.name.startsWith('dense'));
      for (const b of biases) expect(b.shape).toEqual([2, 3 * c.spec.units]);

      await expect(loadExportedModel(dir)).rejects.toThrow(/GRUCell does not support reset_after parameter set to true/);
      // tfjs keeps what it built before refusing: the Embedding's weight (added, so built, first).
      expect(tf.memory().numTensors).toBe(before + model.variables.length + (c.spec.input.kind === 'tokens' ? 1 : 0));
      const leftByRefusal = tf.memory().numTensors - model.variables.length;
      expectSamePredictions(model, await loadLayersModel(dir), c.x());
      model.dispose();
      expect(tf.memory().numTensors).toBe(leftByRefusal);
    });
  });
});

describe('loading refuses what a model.json may not reference', () => {
  const root = tempDir('export-refuse');
  const outside = path.join(root, 'secret.bin');
  const dir = path.join(root, 'model');
  let before: Record<string, Buffer>;
  beforeAll(async () => {
    await initBackend('cpu');
    const model = new RnnModel(cases[1].spec);
    await exportLayersModel(model, dir);
    model.dispose();
    fs.copyFileSync(path.join(dir, 'weights.bin'), outside); // same bytes: only the path is wrong
    before = { 'model.json': fs.readFileSync(path.join(dir, 'model.json')), 'weights.bin': fs.readFileSync(path.join(dir, 'weights.bin')) };
  });
  afterEach(() => {
    for (const n of ['model.json', 'weights.bin']) fs.rmSync(path.join(dir, n), { force: true });
    for (const [n, b] of Object.entries(before)) fs.writeFileSync(path.join(dir, n), b);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const editJSON = (edit: (j: { weightsManifest: Array<{ paths: string[]; weights: Array<{ shape: number[] }> }> }) => void): void => {
    const f = path.join(dir, 'model.json');
    const j = JSON.parse(fs.readFileSync(f, 'utf8'));
    edit(j);
    fs.writeFileSync(f, JSON.stringify(j));
  };
  const link = (name: string, target: string): void => {
    fs.rmSync(path.join(dir, name));
    fs.symlinkSync(target, path.join(dir, name));
  };

  const refusals: Array<[string, () => void, RegExp]> = [
    ['S4: a weights path ../secret.bin', () => editJSON((j) => void (j.weightsManifest[0].paths = ['../secret.bin'])), /leaves the directory through '\.\.'/],
    ['S4: an absolute weights path', () => editJSON((j) => void (j.weightsManifest[0].paths = [outside])), /\(absolute\)/],
    ['S4: weights.bin a link to a file outside', () => link('weights.bin', outside), /weights\.bin: expected a regular file, got a symbolic link/],
    ['S4: weights.bin a link to /dev/zero', () => link('weights.bin', '/dev/zero'), /weights\.bin: expected a regular file, got a symbolic link/],
    ['model.json a link', () => {
      fs.copyFileSync(path.join(dir, 'model.json'), path.join(root, 'model.json'));
      link('model.json', path.join(root, 'model.json'));
    }, /model\.json: expected a regular file, got a symbolic link/],
    ['weights.bin shorter than its specs', () => fs.truncateSync(path.join(dir, 'weights.bin'), 12), /expected weights\.bin to hold \d+ bytes \(as weightsManifest\[0\]\.weights declares\), got 12/],
    ['a weight shape [1e9, 1e9]', () => editJSON((j) => void (j.weightsManifest[0].weights[0].shape = [1e9, 1e9])), /to hold 4000000000\d+ bytes/],
    ['a weights entry without paths', () => editJSON((j) => void delete (j.weightsManifest[0] as { paths?: string[] }).paths), /expected weightsManifest\[0\]\.paths to be an array, got nothing/],
  ];
  for (const [what, damage, message] of refusals) {
    it(what, async () => {
      damage();
      const tensors = tf.memory().numTensors;
      const opens = recordOpens();
      let caught: unknown = null;
      try {
        (await loadExportedModel(dir)).dispose();
      } catch (e) {
        caught = e;
      } finally {
        expect(opens.stop().filter((p) => !p.startsWith(dir + path.sep))).toEqual([]);
      }
      expect((caught as Error | null)?.message).toMatch(message);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  }
});
