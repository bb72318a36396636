/**
 * saveKerasModel writes a Keras 3 .keras file: its HDF5 tree is the one real Keras 3.8 wrote for
 * the same architecture (test/fixtures/keras3_bilstm_tree.txt, h5py's listing made by
 * scripts/keras_h5_listing.py), and loadKerasModel → saveKerasModel → loadKerasModel gives back the
 * same weights and bit-identical predictions, for real files and for a model built in Node.
 * What a Keras 3 file cannot express is refused by name.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { child, H5Group, withH5 } from '../src/keras/h5';
import { loadKerasModel } from '../src/keras/load_keras_model';
import { saveKerasModel } from '../src/keras/save_keras_model';
import { readZipEntries } from '../src/keras/zip';
import * as layers from '../src/layers';
import { expectNoLeak, seededArray, useBackend } from './helpers';

const SHARED = path.join(__dirname, '..', '..', 'shared', 'keras_files');
let dir: string;

beforeAll(async () => {
  await useBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-save-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The tree in scripts/keras_h5_listing.py's format (sorted lines; /optimizer left out). */
async function listing(file: string): Promise<string> {
  const entries = await readZipEntries(file, new Uint8Array(fs.readFileSync(file)), ['model.weights.h5']);
  return withH5(file, entries.get('model.weights.h5')!, (h5) => {
    const lines: string[] = [];
    const attrs = (g: H5Group): string => Object.keys(g.attrs).sort().map((k) => `${k}=${String(g.attrs[k].value)}`).join(' ');
    const walk = (g: H5Group, at: string): void => {
      for (const name of g.keys()) {
        const p = `${at}/${name}`;
        if (p === '/optimizer') continue;
        const sub = child(g, name, 'Group');
        if (sub !== null) {
          lines.push(`G ${p} ${attrs(sub)}`.trimEnd());
          walk(sub, p);
        } else {
          const d = child(g, name, 'Dataset')!;
          lines.push(`D ${p} [${(d.shape ?? []).join(', ')}] ${d.metadata.size === 4 ? 'float32' : 'float64'}`);
        }
      }
    };
    lines.push(`G / ${attrs(h5)}`.trimEnd());
    walk(h5, '');
    return lines.sort().join('\n');
  });
}

/** Both models on the same seeded inputs (each input's open dims from `shape`); outputs bit-identical. */
async function samePredictions(a: tf.LayersModel, b: tf.LayersModel, shape: number[], ints = 0): Promise<void> {
  const xs = a.inputs.map((input, k) => {
    const s = input.shape.map((d, i) => d ?? shape[i]);
    const n = s.reduce((p, v) => p * v, 1);
    return tf.tensor(ints > 0 ? seededArray(n, 9 + k, 0, ints - 1e-6).map(Math.floor) : seededArray(n, 9 + k), s);
  });
  const [ya, yb] = [a.predict(xs) as tf.Tensor, b.predict(xs) as tf.Tensor];
  expect(Array.from(await yb.data())).toEqual(Array.from(await ya.data()));
  tf.dispose([...xs, ya, yb]);
}

describe('saveKerasModel', () => {
  it.each([
    ['Keras 3.8', 'Sequential Bidirectional(LSTM 64) → Dropout → Dense → Dense', 'k3_bilstm_cristian/bilstm_model.keras', 'keras3_bilstm_tree.txt', [2, 14, 3]],
    ['Keras 3.13', 'Functional Input → Bidirectional(GRU 48) → Dropout → Dense → Dense', 'k3_functional_bigru_kush/bigru_classifier.keras', 'keras3_functional_bigru_tree.txt', [2, 7, 1]],
  ])("writes the HDF5 tree real %s wrote for a %s (h5py's listing), and reads it back", async (_version, _what, rel, fixtureName, shape) => {
    const model = await loadKerasModel(path.join(SHARED, rel as string));
    const out = path.join(dir, fixtureName as string);
    await saveKerasModel(model, out);
    const fixture = fs.readFileSync(path.join(__dirname, 'fixtures', fixtureName as string), 'utf8').trim();
    expect(await listing(out)).toBe(fixture);
    const back = await loadKerasModel(out);
    await samePredictions(model, back, shape as number[]);
    model.dispose();
    back.dispose();
  });

  it.each([
    ['k3_gru4_batchnorm_saiprakash/gru_model.keras', [2, 5, 6], 0],
    ['k3_lstm_autoencoder_timedistributed_egg/lstm_autoencoder.keras', [2, 64, 1], 0],
    ['k3_embedding_maskzero_gru_akshit/gru_model.keras', [2, 9], 5000],
    ['tfk240_gru3_ansh/gru_model.h5', [2, 5, 6], 0],
    ['k3150_legacyh5_masking_bigru2_signbridge/sign_model_v3.h5', [2, 32, 84], 0],
    ['k3_functional_bigru_kush/bigru_classifier.keras', [2, 7, 1], 0],
    ['tfk2100_functional_gobackwards_ril/bilstm_model_64.h5', [2, 5, 3], 0],
  ])('round trip of %s: same weights, bit-identical predictions', async (rel, shape, ints) => {
    const model = await loadKerasModel(path.join(SHARED, rel));
    const out = path.join(dir, `${path.basename(rel)}.keras`);
    await saveKerasModel(model, out);
    const back = await loadKerasModel(out);
    const [a, b] = [model.getWeights(), back.getWeights()];
    expect(b.length).toBe(a.length);
    a.forEach((t, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(t.dataSync())));
    expect(back.getClassName()).toBe(model.getClassName());
    await samePredictions(model, back, shape, ints);
    model.dispose();
    back.dispose();
  });

  it('a model built in Node (Embedding mask_zero → GRU reset_after → LSTM → Dense) comes back identical, masks and all', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 12, outputDim: 4, maskZero: true, inputLength: 7, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }) }),
        layers.gru({ units: 5, resetAfter: true, returnSequences: true, recurrentActivation: 'sigmoid', zeroOutputForMask: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        layers.lstm({ units: 3, recurrentActivation: 'hardSigmoidKeras3', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    const out = path.join(dir, 'node.keras');
    await expectNoLeak(async () => {
      await saveKerasModel(model, out);
    });
    const back = await loadKerasModel(out);
    expect(back.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Embedding', 'TfjsRnnGRU', 'TfjsRnnLSTM', 'Dense']);
    expect(back.layers[3].getConfig().recurrentActivation).toBe('hardSigmoidKeras3');
    const ids = tf.tensor([[3, 5, 1, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7]]);
    const [ya, yb] = [model.predict(ids) as tf.Tensor, back.predict(ids) as tf.Tensor];
    expect(Array.from(await yb.data())).toEqual(Array.from(await ya.data()));
    tf.dispose([ids, ya, yb]);
    model.dispose();
    back.dispose();
  });

  it("refuses what Keras 3 cannot compute: tfjs's hardSigmoid (Keras 2's 0.2·x + 0.5)", async () => {
    const model = await loadKerasModel(path.join(SHARED, 'k212_embedding_lstm_kevinlin', 'rnn_model.h5'));
    await expect(saveKerasModel(model, path.join(dir, 'k212.keras'))).rejects.toThrow(/layer lstm_1: expected an activation Keras 3 has, got tfjs's hardSigmoid/);
    expect(fs.existsSync(path.join(dir, 'k212.keras'))).toBe(false);
    model.dispose();
  });

  it('refuses a Bidirectional that carries outputs through masked steps (standalone Keras 2.3), which Keras 3 cannot express', async () => {
    const model = await loadKerasModel(path.join(SHARED, 'k231_embedding_maskzero_bigru_resetfalse_drgoulet', 'rnn_model.h5'));
    await expect(saveKerasModel(model, path.join(dir, 'k231.keras'))).rejects.toThrow(/layer bidirectional_1: expected zeros at masked steps .* got outputs carried through/);
    model.dispose();
  });
});
