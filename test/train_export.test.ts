/**
 * The exported model (model.json + weights.bin in the tfjs-layers format) loads with
 * tf.loadLayersModel into tf.layers.embedding / simpleRNN / dense and predicts what our model
 * predicts (relErr ≤ 1e-5), for the three model shapes.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { exportLayersModel, loadExportedModel } from '../src/train/export';
import { ModelSpec, RnnModel } from '../src/train/model';
import { relErr, seededArray } from './helpers';
import { tempDir } from './train_helpers';

const B = 4;
const T = 7;
const ids = (vocab: number, seed: number) => tf.tensor2d(Int32Array.from(seededArray(B * T, seed, 0, vocab), Math.floor), [B, T], 'int32');

const cases: Array<{ name: string; spec: ModelSpec; x: () => tf.Tensor; layers: string[] }> = [
  {
    name: "seed 002's model: Embedding(5000, 32) → SimpleRNN(100) → Dense(1, sigmoid)",
    spec: { input: { kind: 'tokens', vocabSize: 5000 }, embeddingDim: 32, units: 100, activation: 'tanh', outputDim: 1, objective: 'binary', returnSequences: false, seed: 2 },
    x: () => ids(5000, 21),
    layers: ['Embedding', 'SimpleRNN', 'Dense'],
  },
  {
    name: 'SimpleRNN(relu) → Dense(1) on real-valued sequences',
    spec: { input: { kind: 'real', dim: 2 }, embeddingDim: 0, units: 8, activation: 'relu', outputDim: 1, objective: 'mse', returnSequences: false, seed: 3 },
    x: () => tf.tensor3d(seededArray(B * T * 2, 22), [B, T, 2]),
    layers: ['SimpleRNN', 'Dense'],
  },
  {
    name: 'chars: Embedding → SimpleRNN (sequences) → Dense(V, softmax)',
    spec: { input: { kind: 'tokens', vocabSize: 30 }, embeddingDim: 6, units: 9, activation: 'tanh', outputDim: 30, objective: 'categorical', returnSequences: true, seed: 4 },
    x: () => ids(30, 23),
    layers: ['Embedding', 'SimpleRNN', 'Dense'],
  },
];

describe('export to tfjs-layers', () => {
  const root = tempDir('export');
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  cases.forEach((c, i) => {
    it(c.name, async () => {
      const before = tf.memory().numTensors;
      const model = new RnnModel(c.spec);
      // Move the weights off their initial values so the test cannot pass by two equal inits.
      tf.tidy(() => model.variables.forEach((v, j) => v.assign(tf.add(v, tf.tensor(seededArray(v.size, 100 + j, -0.1, 0.1), v.shape)))));
      const dir = path.join(root, String(i));
      await exportLayersModel(model, dir);
      expect(fs.existsSync(path.join(dir, 'model.json'))).toBe(true);
      const loaded = await loadExportedModel(dir);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(c.layers);
      const x = c.x();
      const ours = model.predict(x);
      const theirs = loaded.predict(x) as tf.Tensor;
      expect(theirs.shape).toEqual(ours.shape);
      expect(relErr(theirs.dataSync(), ours.dataSync())).toBeLessThanOrEqual(1e-5);
      tf.dispose([x, ours, theirs]);
      loaded.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
