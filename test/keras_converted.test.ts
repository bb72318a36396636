/**
 * tensorflowjs_converter output (../shared/real_models/): our loadLayersModel loads all nine real
 * models; the seven older ones (Keras 2.1, 2.6, tfjs), which do not go through the Keras 3
 * translation, load bit-identical weights to stock tf.loadLayersModel and predict as it does
 * (≤ 1e-5 relative: our scan adds in its own order); the two Keras 3
 * conversions (which stock refuses) load. And Keras 3's hard_sigmoid (x/6 + 0.5) is computed as
 * Keras 3 computes it, not as tfjs's (Keras 2's 0.2·x + 0.5), checked against a float64 LSTM.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readModelArtifacts } from '../src/io/tfjs_artifacts';
import { loadLayersModel } from '../src/layers/load_layers_model';
import { relErr, seededArray, useBackend } from './helpers';

const REAL = path.join(__dirname, '..', '..', 'shared', 'real_models');
const OLDER = ['zapp_gru', 'zapp_bilstm', 'zapp_advance_lstm', 'zapp_simple_lstm', 'zapp_simple_rnn', 'reiinakano_lstm_textgen', 'tfjs_e2e_gru_go_backwards'];

/** A seeded input for the model (T = 5 where the model leaves time open; token ids for an Embedding). */
function inputOf(model: tf.LayersModel): tf.Tensor {
  const shape = model.inputs[0].shape.map((d, i) => d ?? (i === 0 ? 2 : 5));
  const n = shape.reduce((p, s) => p * s, 1);
  const tokens = model.layers.find((l) => l.getClassName() === 'Embedding')?.getConfig().inputDim as number | undefined;
  return tf.tensor(tokens ? seededArray(n, 4, 0, tokens - 1e-6).map(Math.floor) : seededArray(n, 4), shape);
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('real tensorflowjs_converter models', () => {
  it.each(OLDER)('%s: ours loads the weights stock tf.loadLayersModel loads, bit for bit, and predicts as it does', async (name) => {
    const dir = path.join(REAL, name);
    const stock = await tf.loadLayersModel({ load: async () => readModelArtifacts(dir) });
    const ours = await loadLayersModel(path.join(dir, 'model.json'));
    const [ws, wo] = [stock.getWeights(), ours.getWeights()];
    expect(wo.length).toBe(ws.length);
    ws.forEach((w, i) => expect(Array.from(wo[i].dataSync())).toEqual(Array.from(w.dataSync())));
    const x = inputOf(stock);
    const [a, b] = [stock.predict(x) as tf.Tensor, ours.predict(x) as tf.Tensor];
    expect(relErr(await b.data(), await a.data())).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    stock.dispose();
    ours.dispose();
  });

  it.each(['aksha117_stock_lstm_keras3', 'signbridge_bigru_reset_after_keras3'])('%s (Keras 3): stock refuses it, ours loads it', async (name) => {
    const dir = path.join(REAL, name);
    await expect(tf.loadLayersModel({ load: async () => readModelArtifacts(dir) })).rejects.toThrow();
    const ours = await loadLayersModel(path.join(dir, 'model.json'));
    expect(ours.layers.some((l) => l.getClassName().startsWith('TfjsRnn') || l.getClassName() === 'Bidirectional')).toBe(true);
    ours.dispose();
  });
});

/** Float64 LSTM (Keras's equations, gate order i, f, c, o) with Keras 3's hard sigmoid; the last h. */
function lstmKeras3(x: Float64Array, T: number, D: number, H: number, W: Float64Array, U: Float64Array, b: Float64Array): Float64Array {
  const hs = (a: number): number => Math.min(Math.max(a / 6 + 0.5, 0), 1); // relu6(a + 3) / 6
  let h = new Float64Array(H);
  const c = new Float64Array(H);
  for (let t = 0; t < T; t++) {
    const z = Float64Array.from(b);
    for (let k = 0; k < 4 * H; k++) {
      for (let d = 0; d < D; d++) z[k] += x[t * D + d] * W[d * 4 * H + k];
      for (let j = 0; j < H; j++) z[k] += h[j] * U[j * 4 * H + k];
    }
    const next = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = [hs(z[j]), hs(z[H + j]), Math.tanh(z[2 * H + j]), hs(z[3 * H + j])];
      c[j] = f * c[j] + i * g;
      next[j] = o * Math.tanh(c[j]);
    }
    h = next;
  }
  return h;
}

describe("Keras 3's hard_sigmoid", () => {
  it('is x/6 + 0.5 in a loaded Keras 3 LSTM (checked against float64), not tfjs hardSigmoid', async () => {
    const artifacts = readModelArtifacts(path.join(REAL, 'aksha117_stock_lstm_keras3'));
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as { model_config: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } } };
    const lstmConfig = topology.model_config.config.layers.find((l) => l.class_name === 'LSTM')!.config;
    lstmConfig.recurrent_activation = 'hard_sigmoid';
    const model = await loadLayersModel({ load: async () => ({ ...artifacts, modelTopology: topology as never }) });
    const lstm = model.layers.find((l) => l.getClassName().endsWith('LSTM'))!;
    expect(lstm.getConfig().recurrentActivation).toBe('hardSigmoidKeras3');
    const [T, D, H] = [60, 7, 64];
    const x = Float64Array.from(seededArray(T * D, 8, -2, 2));
    const [W, U, b] = lstm.getWeights().map((w) => Float64Array.from(w.dataSync()));
    const probe = tf.model({ inputs: model.inputs, outputs: lstm.output as tf.SymbolicTensor });
    const y = probe.predict(tf.tensor(Float32Array.from(x), [1, T, D])) as tf.Tensor;
    expect(relErr(await y.data(), lstmKeras3(x, T, D, H, W, U, b))).toBeLessThan(1e-5);
    tf.dispose(y);
    model.dispose();
  });
});
