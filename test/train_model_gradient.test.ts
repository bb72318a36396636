/**
 * The whole model's gradient (tf.variableGrads through the cell's customGrad = manual BPTT, and
 * the scatter-add Embedding gradient) equals plain tfjs autodiff over an autodiff forward (gather
 * Embedding + per-step tf ops + Dense), for the three model shapes the trainer builds. On cpu,
 * where tfjs's gather gradient exists; then the same model trains on wasm, which lacks it.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { RnnModel, ModelSpec } from '../src/train/model';
import { autodiffForward } from './autodiff_rnn';
import { expectNoLeak, relErr, seededArray } from './helpers';

function seededIds(shape: [number, number], vocab: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(Int32Array.from(seededArray(shape[0] * shape[1], seed, 0, vocab), Math.floor), shape, 'int32');
}

/** The same model written with autodiff only. */
function autodiffLogits(m: RnnModel, x: tf.Tensor): tf.Tensor {
  const [B, T] = x.shape;
  const input = m.embedding === null ? (x as tf.Tensor3D) : (tf.reshape(tf.gather(m.embedding, tf.reshape(x, [-1])), [B, T, m.spec.embeddingDim]) as tf.Tensor3D);
  const h0 = tf.zeros([B, m.spec.units]) as tf.Tensor2D;
  const { sequence, last } = autodiffForward(input, m.cell.kernel, m.cell.recurrentKernel, m.cell.bias, h0, m.spec.activation);
  return m.head(m.spec.returnSequences ? sequence : last);
}

const B = 3;
const T = 6;
const cases: Array<{ name: string; spec: ModelSpec; x: () => tf.Tensor; y: () => tf.Tensor }> = [
  {
    name: "seed 002's shape: Embedding → SimpleRNN → Dense(1, sigmoid)",
    spec: { input: { kind: 'tokens', vocabSize: 50 }, embeddingDim: 4, units: 5, activation: 'tanh', outputDim: 1, objective: 'binary', returnSequences: false, seed: 3 },
    x: () => seededIds([B, T], 50, 11),
    y: () => tf.tensor2d([1, 0, 1], [B, 1]),
  },
  {
    name: 'real-valued SimpleRNN → Dense (mse)',
    spec: { input: { kind: 'real', dim: 2 }, embeddingDim: 0, units: 4, activation: 'relu', outputDim: 1, objective: 'mse', returnSequences: false, seed: 4 },
    x: () => tf.tensor3d(seededArray(B * T * 2, 12), [B, T, 2]),
    y: () => tf.tensor2d(seededArray(B, 13), [B, 1]),
  },
  {
    name: 'chars: Embedding → SimpleRNN (sequence) → Dense(V) softmax',
    spec: { input: { kind: 'tokens', vocabSize: 7 }, embeddingDim: 3, units: 5, activation: 'tanh', outputDim: 7, objective: 'categorical', returnSequences: true, seed: 5 },
    x: () => seededIds([B, T], 7, 14),
    y: () => seededIds([B, T], 7, 15),
  },
];

describe('whole-model gradient: manual BPTT + heads vs plain autodiff', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  for (const c of cases) {
    it(c.name, async () => {
      const m = new RnnModel(c.spec);
      const x = c.x();
      const y = c.y();
      await expectNoLeak(() => {
        const ours = tf.variableGrads(() => m.lossOf(m.logits(x), y), m.variables);
        const ref = tf.variableGrads(() => m.lossOf(autodiffLogits(m, x), y), m.variables);
        expect(relErr(ours.value.dataSync(), ref.value.dataSync())).toBeLessThanOrEqual(1e-6);
        for (const v of m.variables) {
          const e = relErr(ours.grads[v.name].dataSync(), ref.grads[v.name].dataSync());
          expect({ variable: v.name, relErr: e, ok: e <= 1e-5 }).toEqual({ variable: v.name, relErr: e, ok: true });
        }
        tf.dispose([ours.value, ref.value]);
        tf.dispose(ours.grads);
        tf.dispose(ref.grads);
      });
      tf.dispose([x, y]);
      m.dispose();
    });
  }

  it('the token model trains on wasm (no UnsortedSegmentSum there) with the gradient cpu gives', async () => {
    const c = cases[0];
    const grads: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm']) {
      await initBackend(backend);
      const m = new RnnModel(c.spec);
      const x = c.x();
      const y = c.y();
      const g = tf.variableGrads(() => m.lossOf(m.logits(x), y), m.variables);
      grads[backend] = m.variables.map((v) => g.grads[v.name].dataSync() as Float32Array);
      tf.dispose([g.value, x, y]);
      tf.dispose(g.grads);
      m.dispose();
    }
    grads.cpu.forEach((gc, i) => expect(relErr(grads.wasm[i], gc)).toBeLessThanOrEqual(1e-5));
    await initBackend('cpu');
  });
});
