/**
 * Every full-model file in ../shared/keras_files/ (real files saved by Keras 2.0.4 → 3.15): it
 * loads through loadKerasModel, or is refused with a message naming why; what loads predicts as
 * the float64 reference (test/keras_reference.ts) on seeded inputs, masks included. Which stored
 * weight went where is checked across formats: the same tensors saved as a tf.keras 2.13 zip and
 * as a legacy weights .h5, and a Keras 3.15 .h5 against its tensorflowjs_converter twin.
 * The files are read where CI puts them (../shared beside the checkout); none is copied here.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { withH5 } from '../src/keras/h5';
import { DatasetReader, readLegacyWeights } from '../src/keras/h5_weights';
import { loadKerasModel } from '../src/keras/load_keras_model';
import { loadLayersModel } from '../src/layers/load_layers_model';
import { expectNoLeak, relErr, seededArray, useBackend } from './helpers';
import { referencePredict } from './keras_reference';

const SHARED = path.join(__dirname, '..', '..', 'shared');
const K = (rel: string): string => path.join(SHARED, 'keras_files', rel);

interface Case {
  file: string;
  /** Input [B, T, D] (T when the file leaves it open), or token ids for an Embedding model. */
  input?: { T: number; D: number; tokens?: number; maskTail?: number; maskValue?: number };
  refused?: RegExp;
  /** Not a chain the reference interprets (checked by loading only, or cross-format below). */
  noReference?: boolean;
}

const CASES: Case[] = [
  { file: 'k204_gru_timedistributed_moskalyk/simple_rnn_model.h5', input: { T: 21, D: 1 } },
  { file: 'k212_embedding_lstm_kevinlin/rnn_model.h5', input: { T: 17, D: 0, tokens: 100 } },
  { file: 'k222_lstm_galalen/lstm_model.h5', input: { T: 1, D: 200 } },
  // T = 8801 (input_length): predictions are checked on a 40-step copy below.
  { file: 'k231_embedding_maskzero_bigru_resetfalse_drgoulet/rnn_model.h5', noReference: true },
  { file: 'k3120_unbuilt_no_weights_csev/simple_rnn_model.h5', refused: /layer embedding.*expected its 1 weights in the file, found none/ },
  { file: 'k3150_legacyh5_masking_bigru2_signbridge/sign_model_v3.h5', input: { T: 32, D: 84, maskTail: 6 } },
  { file: 'k34_weights_h5_plus_json_hiyata/lstm_model.h5', input: { T: 10, D: 1 } },
  { file: 'k3_333_lstm_aurora/lstm_model.keras', input: { T: 5, D: 1 } },
  { file: 'k3_bilstm_cristian/bilstm_model.keras', input: { T: 14, D: 3 } },
  { file: 'k3_embedding_maskzero_gru_akshit/gru_model.keras', input: { T: 12, D: 0, tokens: 5000, maskTail: 4 } },
  { file: 'k3_functional_bigru_kush/bigru_classifier.keras', input: { T: 7, D: 1 } },
  { file: 'k3_gru2_dropout_bisul/gru_model.keras', input: { T: 6, D: 0 } },
  { file: 'k3_gru4_batchnorm_saiprakash/gru_model.keras', input: { T: 6, D: 0 } },
  { file: 'k3_gru_namemismatch_obaiz/gru_model.keras', input: { T: 60, D: 9 } },
  { file: 'k3_gru_namemismatch_obaiz/lstm_model.keras', input: { T: 60, D: 9 } },
  { file: 'k3_lstm2_relu_mlops/lstm_model.keras', input: { T: 6, D: 0 } },
  { file: 'k3_lstm_autoencoder_timedistributed_egg/lstm_autoencoder.keras', input: { T: 64, D: 1 } },
  { file: 'k3_lstm_unroll_customnames_cdt406/model.keras', input: { T: 0, D: 12 } },
  { file: 'k3_simplernn_relu_unroll_goksu/rnn_model.keras', input: { T: 6, D: 0 } },
  { file: 'tfk2100_bilstm_h5_named_keras_sailesh/bilstm_model.keras', input: { T: 6, D: 0 } },
  { file: 'tfk2100_functional_gobackwards_ril/bilstm_model_64.h5', input: { T: 6, D: 0 } },
  { file: 'tfk2100_masking_lstm4_marvin/model_2023-03-30_18-45.h5', input: { T: 48, D: 18, maskTail: 5, maskValue: -10000 } },
  { file: 'tfk2100_masking_lstm4_marvin/gru_model.h5', input: { T: 168, D: 105 } },
  { file: 'tfk213_v3zip_simplernn_mrmidi/rnn_model.keras', input: { T: 1000, D: 1 } },
  { file: 'tfk213_v3zip_simplernn_mrmidi/lstm_model.keras', input: { T: 1000, D: 1 } },
  { file: 'tfk213_v3zip_simplernn_mrmidi/lstm_model_tuned.keras', refused: /weights-only HDF5 file: pass its architecture/ },
  { file: 'tfk2140_conv1d_lstm3_varlen_doguilmak/rnn_model.h5', refused: /layer "conv1d_3": Conv1D padding 'causal' has no tfjs implementation/ },
  { file: 'tfk240_gru3_ansh/gru_model.h5', input: { T: 6, D: 0 } },
  { file: 'tfk260_simplernn_ginger/simple_rnn.h5', input: { T: 6, D: 0 } },
];

const B = 2;

/** A seeded input for each of the model's inputs: its own fixed T and D where the model fixes them. */
function inputsFor(model: tf.LayersModel, c: Case, seed: number): { xs: Float64Array[]; shapes: number[][] } {
  const all = model.inputs.map((input, k) => inputFor(model, c, seed + k, input.shape));
  return { xs: all.map((a) => a.x), shapes: all.map((a) => a.shape) };
}

/** A seeded input: its own fixed T and D where the model fixes them. */
function inputFor(model: tf.LayersModel, c: Case, seed: number, given = model.inputs[0].shape): { x: Float64Array; shape: number[] } {
  // given: [null, T?, D?]
  const spec = c.input!;
  if (spec.tokens !== undefined) {
    const T = given[1] ?? spec.T;
    const ids = seededArray(B * T, seed, 1, spec.tokens - 1e-6).map(Math.floor);
    // Padding (id 0) at the end of the first sample: the mask's steps.
    for (let t = T - (spec.maskTail ?? 0); t < T; t++) ids[t] = 0;
    return { x: Float64Array.from(ids), shape: [B, T] };
  }
  const shape = [B, ...given.slice(1).map((d, i) => d ?? [spec.T, spec.D][i])] as number[];
  const x = Float64Array.from(seededArray(shape.reduce((p, s) => p * s, 1), seed));
  if (spec.maskTail) {
    const [T, D] = [shape[1], shape[2]];
    for (let t = T - spec.maskTail; t < T; t++) for (let d = 0; d < D; d++) x[t * D + d] = spec.maskValue ?? 0;
  }
  return { x, shape };
}

describe('every full-model Keras file in ../shared/keras_files', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(CASES)('$file loads (or is refused by name) and predicts as the float64 reference', async (c) => {
    if (c.refused) {
      await expect(loadKerasModel(K(c.file))).rejects.toThrow(c.refused);
      return;
    }
    const model = await loadKerasModel(K(c.file));
    try {
      expect(model.weights.length).toBeGreaterThan(0);
      if (c.noReference || !c.input) return;
      const { xs, shapes } = inputsFor(model, c, 19);
      await expectNoLeak(async () => {
        const y = tf.tidy(() => model.predict(xs.map((x, i) => tf.tensor(Float32Array.from(x), shapes[i]))) as tf.Tensor);
        const got = await y.data();
        y.dispose();
        expect(relErr(got, referencePredict(model, xs, shapes))).toBeLessThan(1e-5);
      });
    } finally {
      model.dispose();
    }
  });
});

describe('masked steps as the saving Keras computed them', () => {
  it('standalone Keras 2.3 (Embedding mask_zero → Bidirectional GRU reset_after false → TimeDistributed): the previous output carried through masked steps', async () => {
    const model = await loadKerasModel(K('k231_embedding_maskzero_bigru_resetfalse_drgoulet/rnn_model.h5'));
    // The same model on 40 steps instead of the stored input_length 8801 (a long test otherwise).
    const json = model.toJSON(null, false) as unknown as { config: { layers: Array<{ config: Record<string, unknown> }> } };
    Object.assign(json.config.layers[0].config, { batch_input_shape: [null, 40], input_length: 40 });
    const short = await tf.models.modelFromJSON({ modelTopology: json as never });
    short.setWeights(model.getWeights());
    const gru = (short.layers[1] as unknown as { forwardLayer: tf.layers.Layer }).forwardLayer.getConfig();
    expect(gru.zeroOutputForMask).toBe(false);
    const c: Case = { file: '', input: { T: 40, D: 0, tokens: 22, maskTail: 6 } };
    const { x, shape } = inputFor(short, c, 23);
    const y = short.predict(tf.tensor(Float32Array.from(x), shape)) as tf.Tensor;
    expect(relErr(await y.data(), referencePredict(short, x, shape))).toBeLessThan(1e-5);
    y.dispose();
    short.dispose();
    model.dispose();
  });

  it('tf.keras 2.10 (Masking → LSTM return_sequences): zeros at masked steps', async () => {
    const model = await loadKerasModel(K('tfk2100_masking_lstm4_marvin/model_2023-03-30_18-45.h5'));
    expect(model.layers.filter((l) => l.getClassName().endsWith('LSTM')).map((l) => l.getConfig().zeroOutputForMask)).toEqual([true, true, true, false]);
    model.dispose();
  });
});

describe('an architecture JSON with its weights file', () => {
  it.each([
    ['k224_weights_only_plus_json_mikniloes/lstm_model.json', 'k224_weights_only_plus_json_mikniloes/lstm_model.h5', 192, 4],
    ['k34_weights_h5_plus_json_hiyata/lstm_model.json', 'k34_weights_h5_plus_json_hiyata/lstm_model.weights.h5', 6, 0],
    ['tfk240_gru3_ansh/gru_model.json', 'tfk240_gru3_ansh/gru_model.h5', 6, 0],
  ])('%s + %s predicts as the float64 reference', async (json, weights, T, D) => {
    const model = await loadKerasModel(K(json), { weights: K(weights) });
    const given = model.inputs[0].shape;
    const shape = [B, given[1] ?? T, given[2] ?? D] as number[];
    const x = Float64Array.from(seededArray(shape[0] * shape[1] * shape[2], 3));
    const y = model.predict(tf.tensor(Float32Array.from(x), shape)) as tf.Tensor;
    expect(relErr(await y.data(), referencePredict(model, x, shape))).toBeLessThan(1e-5);
    y.dispose();
    model.dispose();
  });

  it('is refused without { weights } (the weights file is never guessed)', async () => {
    await expect(loadKerasModel(K('tfk240_gru3_ansh/gru_model.json'))).rejects.toThrow(/gru_model\.json: expected \{ weights: path to its weights \.h5 \}/);
  });
});

describe('Keras 3 tensorflowjs_converter output through loadLayersModel', () => {
  it('aksha117 (Keras 3.8: batch_shape, mixed_float16 policies, seed, model-name-prefixed weights) predicts as the float64 reference', async () => {
    const model = await loadLayersModel(path.join(SHARED, 'real_models', 'aksha117_stock_lstm_keras3', 'model.json'));
    const shape = [B, 60, 7];
    const x = Float64Array.from(seededArray(B * 60 * 7, 11));
    const y = model.predict(tf.tensor(Float32Array.from(x), shape)) as tf.Tensor;
    expect(relErr(await y.data(), referencePredict(model, x, shape))).toBeLessThan(1e-5);
    y.dispose();
    model.dispose();
  });
});

describe('which stored weight went where, across formats', () => {
  it('tf.keras 2.13: the .keras zip (counter-named groups, simple_rnn_2 for simple_rnn_1) holds what its legacy weights .h5 holds', async () => {
    const bytes = new Uint8Array(fs.readFileSync(K('tfk213_v3zip_simplernn_mrmidi/rnn_model_weights.h5')));
    const reader = new DatasetReader('rnn_model_weights.h5', bytes.length);
    const legacy = await withH5(reader.source, bytes, (f) => readLegacyWeights(f, reader));
    const zip = await loadKerasModel(K('tfk213_v3zip_simplernn_mrmidi/rnn_model.keras'));
    const withWeights = zip.layers.filter((l) => l.weights.length > 0);
    expect(withWeights.map((l) => l.name)).toEqual(['simple_rnn', 'simple_rnn_1', 'dense']);
    for (const layer of withWeights) {
      const stored = legacy.get(layer.name)!;
      const mine = layer.getWeights();
      expect(stored.map((s) => s.name.split('/').pop())).toEqual(['kernel', 'recurrent_kernel', 'bias'].slice(0, mine.length === 2 ? 0 : 3).concat(mine.length === 2 ? ['kernel', 'bias'] : []));
      mine.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(stored[i].values)));
    }
    zip.dispose();
  });

  it('Keras 3.15: the legacy .h5 predicts exactly as its tensorflowjs_converter twin (masking, 2 x Bidirectional GRU reset_after)', async () => {
    const fromH5 = await loadKerasModel(K('k3150_legacyh5_masking_bigru2_signbridge/sign_model_v3.h5'));
    const fromTfjs = await loadLayersModel(path.join(SHARED, 'real_models', 'signbridge_bigru_reset_after_keras3', 'model.json'));
    const x = seededArray(2 * 32 * 84, 5);
    for (let t = 26; t < 32; t++) x.fill(0, t * 84, (t + 1) * 84); // sample 0 padded at the end
    const xt = tf.tensor(x, [2, 32, 84]);
    const [a, b] = [fromH5.predict(xt) as tf.Tensor, fromTfjs.predict(xt) as tf.Tensor];
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([xt, a, b]);
    fromH5.dispose();
    fromTfjs.dispose();
  });
});
