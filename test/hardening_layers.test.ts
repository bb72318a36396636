/**
 * Issue 21's cases for the library: loaders refuse a weight name listed twice and NaN / Infinity
 * weights, naming the weight (stock tfjs loads both); every layer refuses T = 0 as the cells do;
 * fitTruncatedBPTT checks its options and the model before it trains any chunk.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { RefusedFileError } from '../src/io/safe_dir';
import { readModelArtifacts } from '../src/io/tfjs_artifacts';
import { fitTruncatedBPTT, gru, loadLayersModel, lstm, simpleRNN } from '../src/layers';
import { seededArray } from './helpers';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-hardening-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>;
}

/** A saved model (SimpleRNN(3) → Dense(1)) in a new directory: model.json + weights.bin. */
async function savedModel(name: string): Promise<string> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  const m = tf.sequential();
  m.add(simpleRNN({ units: 3, inputShape: [null, 2], name: 'rnn' }));
  m.add(tf.layers.dense({ units: 1, name: 'dense' }));
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(a.weightData as ArrayBuffer));
      const json = { modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  m.dispose();
  return dir;
}

function editJson(dir: string, edit: (j: ModelJson) => void): void {
  const f = path.join(dir, 'model.json');
  const j = JSON.parse(fs.readFileSync(f, 'utf8')) as ModelJson;
  edit(j);
  fs.writeFileSync(f, JSON.stringify(j));
}

/** Byte offset of weight i in weights.bin (all float32 here). */
function offsetOf(dir: string, i: number): number {
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
  return j.weightsManifest[0].weights.slice(0, i).reduce((s, w) => s + w.shape.reduce((p, d) => p * d, 1) * 4, 0);
}

describe('loaders refuse what stock tfjs loads silently', () => {
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    ['a weight name listed twice', (dir) => editJson(dir, (j) => void (j.weightsManifest[0].weights[4].name = j.weightsManifest[0].weights[3].name)), /expected each weight name once, got dense\/kernel twice/],
    ['a NaN weight', (dir) => {
      const b = fs.readFileSync(path.join(dir, 'weights.bin'));
      b.writeFloatLE(NaN, offsetOf(dir, 1) + 8);
      fs.writeFileSync(path.join(dir, 'weights.bin'), b);
    }, /expected finite values in weight rnn\/recurrent_kernel \[3,3\], got NaN or Infinity at index 2/],
    ['an Infinity weight', (dir) => {
      const b = fs.readFileSync(path.join(dir, 'weights.bin'));
      b.writeFloatLE(-Infinity, offsetOf(dir, 4));
      fs.writeFileSync(path.join(dir, 'weights.bin'), b);
    }, /expected finite values in weight dense\/bias \[1\], got NaN or Infinity at index 0/],
  ];
  let n = 0;
  for (const [what, damage, message] of cases) {
    it(`${what}: refused by path and by IOHandler, naming the weight`, async () => {
      const dir = await savedModel(`m${++n}`);
      const good = readModelArtifacts(dir); // loads before the damage
      expect(good.weightSpecs?.length).toBe(5);
      damage(dir);
      const tensors = tf.memory().numTensors;
      expect(() => readModelArtifacts(dir)).toThrow(RefusedFileError);
      expect(() => readModelArtifacts(dir)).toThrow(message);
      await expect(loadLayersModel(dir)).rejects.toThrow(message);
      // An IOHandler bypasses our reader: the loader checks the artifacts it returns.
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
      const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
      const artifacts = { modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'], weightSpecs: json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[], weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) };
      await expect(loadLayersModel({ load: async () => artifacts })).rejects.toThrow(message);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  }
});

describe('layers refuse T = 0 like the cells', () => {
  for (const [name, make] of [['simpleRNN', simpleRNN], ['lstm', lstm], ['gru', gru]] as const) {
    it(name, () => {
      const layer = make({ units: 3, name: `${name}_t0` });
      tf.dispose(tf.tidy(() => layer.apply(tf.zeros([2, 1, 4])) as tf.Tensor)); // builds its weights
      const x = tf.zeros([2, 0, 4]);
      const tensors = tf.memory().numTensors;
      expect(() => layer.apply(x)).toThrow(`expected input [batch, time, features] with at least one time step for ${name}_t0, got [2, 0, 4]`);
      expect(tf.memory().numTensors).toBe(tensors);
      x.dispose();
      layer.dispose();
    });
  }
});

describe('fitTruncatedBPTT checks before it trains anything', () => {
  const B = 2;
  const k = 3;
  function model(batchInputShape: Array<number | null>, compile = true): tf.Sequential {
    const m = tf.sequential();
    m.add(lstm({ units: 2, stateful: true, returnSequences: true, batchInputShape }));
    m.add(tf.layers.dense({ units: 1 }));
    if (compile) m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    return m;
  }
  const cases: Array<[string, () => tf.Sequential, number, object, string | RegExp]> = [
    ["resetStates: 'no'", () => model([B, k, 1]), 6, { chunkLength: k, resetStates: 'no' }, "expected resetStates to be true or false, got 'no'"],
    ['a misspelt key', () => model([B, k, 1]), 6, { chunkLength: k, resetState: false }, "expected options among chunkLength, resetStates, onChunkEnd, got unknown 'resetState'"],
    ['onChunkEnd not a function', () => model([B, k, 1]), 6, { chunkLength: k, onChunkEnd: 1 }, 'expected onChunkEnd to be a function, got 1'],
    ['an uncompiled model', () => model([B, k, 1], false), 6, { chunkLength: k }, 'expected a compiled model (model.compile({ optimizer, loss })), got one that is not compiled'],
    ['a batch size other than batchInputShape fixes', () => model([B + 1, k, 1]), 6, { chunkLength: k }, 'expected x with the batch size 3 that batchInputShape [3, 3, 1] fixes, got x [2, 6, 1]'],
    ['a last short chunk where batchInputShape fixes k', () => model([B, k, 1]), 7, { chunkLength: k }, /expected every chunk to be 3 steps long, as batchInputShape \[2, 3, 1\] fixes, got chunkLength 3 over T = 7 \(the last chunk would be 1 steps\)/],
  ];
  for (const [what, make, T, options, message] of cases) {
    it(what, async () => {
      const m = make();
      const x = tf.tensor3d(seededArray(B * T, 1), [B, T, 1]);
      const y = tf.tensor3d(seededArray(B * T, 2), [B, T, 1]);
      const before = m.getWeights().map((w) => w.dataSync().slice());
      const tensors = tf.memory().numTensors;
      await expect(fitTruncatedBPTT(m, x, y, options as never)).rejects.toThrow(message);
      expect(m.getWeights().map((w) => w.dataSync().slice())).toEqual(before); // nothing trained
      expect(tf.memory().numTensors).toBe(tensors);
      tf.dispose([x, y]);
      m.dispose();
    });
  }

  it('batchInputShape [B, null, D] takes the last short chunk', async () => {
    const m = model([B, null, 1]);
    const x = tf.tensor3d(seededArray(B * 7, 1), [B, 7, 1]);
    const y = tf.tensor3d(seededArray(B * 7, 2), [B, 7, 1]);
    expect((await fitTruncatedBPTT(m, x, y, { chunkLength: k })).length).toBe(3);
    tf.dispose([x, y]);
    m.dispose();
  });
});
