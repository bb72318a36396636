/**
 * The exported model (model.json + weights.bin in the tfjs-layers format) loads with
 * tf.loadLayersModel into tf.layers.embedding / simpleRNN / dense and predicts what our model
 * predicts (relErr ≤ 1e-5), for the three model shapes. Loading treats model.json as untrusted:
 * weight paths outside the model's directory, links and wrong sizes are refused, and nothing
 * outside the directory is opened.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { exportLayersModel, loadExportedModel } from '../src/train/export';
import { ModelSpec, RnnModel } from '../src/train/model';
import { relErr, seededArray } from './helpers';
import { recordOpens, tempDir } from './train_helpers';

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
