/**
 * Drop-in layers, proof 3: className, getConfig and registerClass; model.save() and loading back
 * (through a tf.io.IOHandler and from a model.json on disk) give the same predictions, and the
 * optimizer continues where it stopped; a manifest whose weight paths leave the model's directory
 * is refused.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GRULayer } from '../src/layers/gru_layer';
import { loadLayersModel } from '../src/layers/load_layers_model';
import { LSTMLayer } from '../src/layers/lstm_layer';
import { SimpleRNNLayer } from '../src/layers/simple_rnn_layer';
import { relErr, seededTensor, useBackend } from './helpers';
import { outputsRelErr, seedWeights, weightsRelErr } from './layers_helpers';
import { gru } from '../src/layers/gru_layer';
import { lstm } from '../src/layers/lstm_layer';

const [B, T, D, H] = [4, 5, 3, 6];

async function saveToMemory(model: tf.LayersModel, includeOptimizer: boolean): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
    { includeOptimizer },
  );
  return saved as tf.io.ModelArtifacts;
}

/** dir/model.json + dir/weights.bin, laid out as model.save('file://dir') writes them with tfjs-node. */
function writeToDisk(artifacts: tf.io.ModelArtifacts, dir: string, paths: string[] = ['weights.bin']): void {
  const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(weightData));
  const modelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: null,
    trainingConfig: artifacts.trainingConfig,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJSON));
}

/** Embedding-free stack of two of our layers and a head, compiled with adam. */
function stackedModel(): tf.Sequential {
  const m = tf.sequential({
    layers: [
      lstm({ units: H, inputShape: [T, D], returnSequences: true, recurrentActivation: 'sigmoid' }),
      gru({ units: H, resetAfter: true, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  seedWeights(m, 40);
  return m;
}

describe('drop-in layers: serialization', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-layers-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('registers each class under its className; getConfig → fromConfig gives the same config', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    for (const cls of [SimpleRNNLayer, LSTMLayer, GRULayer]) expect(map[cls.className][0]).toBe(cls);
    expect([SimpleRNNLayer.className, LSTMLayer.className, GRULayer.className]).toEqual(['TfjsRnnSimpleRNN', 'TfjsRnnLSTM', 'TfjsRnnGRU']);
    // Stock classes keep their own registrations: tf.layers.lstm still builds tf.layers' LSTM.
    expect(map.LSTM[0]).not.toBe(LSTMLayer);
    const layer = gru({ units: 3, resetAfter: true, goBackwards: true, returnState: true, recurrentActivation: 'sigmoid', name: 'g' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ units: 3, resetAfter: true, goBackwards: true, returnState: true, recurrentActivation: 'sigmoid', name: 'g' });
    const expected = structuredClone(config); // tf.layers' deserializer writes into the config it reads
    const again = GRULayer.fromConfig(GRULayer, config) as GRULayer;
    expect(again.getConfig()).toEqual(expected);
  });

  it('model.save() → loadLayersModel(handler): same predictions; the optimizer continues (adam state restored)', async () => {
    const model = stackedModel();
    const x = seededTensor([B, T, D], 1);
    const y = seededTensor([B, 2], 2);
    await model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    const artifacts = await saveToMemory(model, true);
    const loaded = await loadLayersModel({ load: async () => artifacts });
    const fresh = await loadLayersModel({ load: async () => artifacts });
    fresh.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' }); // same weights, new adam state
    const [p, q] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(await outputsRelErr(q, p)).toBe(0);
    for (const m of [model, loaded, fresh]) await m.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    const continued = await weightsRelErr(loaded, model);
    const restarted = await weightsRelErr(fresh, model);
    console.log(`save/load with optimizer: weights after one more epoch differ by ${continued.toExponential(2)} (a fresh adam: ${restarted.toExponential(2)})`);
    expect(continued).toBeLessThan(1e-6);
    expect(restarted).toBeGreaterThan(1e-4);
    tf.dispose([x, y, p, q]);
    [model, loaded, fresh].forEach((m) => m.dispose());
  });

  it('from model.json on disk (path or its directory): same predictions, our layers back, the optimizer state too', async () => {
    const model = stackedModel();
    const x = seededTensor([B, T, D], 3);
    const y = seededTensor([B, 2], 4);
    await model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 }); // adam has moments to save
    writeToDisk(await saveToMemory(model, true), dir);
    const p = model.predict(x) as tf.Tensor;
    for (const from of [path.join(dir, 'model.json'), dir]) {
      const loaded = await loadLayersModel(from);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(['TfjsRnnLSTM', 'TfjsRnnGRU', 'Dense']);
      const q = loaded.predict(x) as tf.Tensor;
      expect(relErr(await q.data(), await p.data())).toBe(0);
      q.dispose();
      loaded.dispose();
    }
    const loaded = await loadLayersModel(dir);
    for (const m of [model, loaded]) await m.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    expect(await weightsRelErr(loaded, model)).toBeLessThan(1e-6);
    tf.dispose([x, y, p]);
    model.dispose();
    loaded.dispose();
  });

  it('a stock tf.layers model saved by tfjs loads with our layers in place of its recurrent ones', async () => {
    const stock = tf.sequential({ layers: [tf.layers.gru({ units: H, inputShape: [T, D], recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 2 })] });
    seedWeights(stock, 50);
    const loaded = await loadLayersModel({ load: async () => saveToMemory(stock, false) });
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['TfjsRnnGRU', 'Dense']);
    const x = seededTensor([B, T, D], 4);
    const [p, q] = [stock.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(await outputsRelErr(q, p)).toBeLessThan(1e-5);
    tf.dispose([x, p, q]);
    stock.dispose();
    loaded.dispose();
  });

  it.each([
    ['../outside.bin', /leaves the directory/],
    ['/etc/passwd', /absolute/],
    ['sub/../../outside.bin', /leaves the directory/],
  ])('refuses a manifest weight path %s', async (bad, why) => {
    const model = stackedModel();
    writeToDisk(await saveToMemory(model, false), dir, [bad]);
    fs.writeFileSync(path.join(path.dirname(dir), 'outside.bin'), Buffer.alloc(16));
    await expect(loadLayersModel(path.join(dir, 'model.json'))).rejects.toThrow(why);
    fs.rmSync(path.join(path.dirname(dir), 'outside.bin'), { force: true });
    model.dispose();
  });

  it('refuses what is not a layers model.json', async () => {
    await expect(loadLayersModel(path.join(dir, 'nothing.json'))).rejects.toThrow(/expected a path to model.json or to its directory, got .*does not exist/);
    fs.writeFileSync(path.join(dir, 'weights.json'), '{}');
    await expect(loadLayersModel(path.join(dir, 'weights.json'))).rejects.toThrow(/expected a path to model.json or to its directory/);
    await expect(loadLayersModel({ load: async () => ({ modelTopology: new ArrayBuffer(8) }) })).rejects.toThrow(/expected a layers model .* got a graph model/);
    await expect(loadLayersModel({} as tf.io.IOHandler)).rejects.toThrow(/expected a path to model.json or a tf.io.IOHandler with load\(\)/);
  });
});
