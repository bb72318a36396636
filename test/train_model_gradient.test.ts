/**
 * The whole model's gradient (tf.variableGrads through our layers = manual BPTT, and the
 * scatter-add Embedding gradient) equals plain tfjs autodiff over an autodiff forward (gather
 * Embedding + per-step tf ops of src/reference/autodiff.ts + Dense) on the same weights, for every
 * cell and model shape the trainer builds. On cpu, where tfjs's gather gradient exists; then a
 * token model trains on wasm, which lacks it, with the gradient cpu gives.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { autodiffGRU, autodiffLSTM, autodiffSimpleRNN } from '../src/reference/autodiff';
import { RnnModel, ModelSpec } from '../src/train/model';
import { expectNoLeak, relErr, seededArray } from './helpers';
import { modelSpec } from './train_helpers';

function seededIds(shape: [number, number], vocab: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(Int32Array.from(seededArray(shape[0] * shape[1], seed, 0, vocab), Math.floor), shape, 'int32');
}

/** One direction of one recurrent layer, autodiff only: [B, T, H] sequence and [B, H] last. */
function autodiffCell(spec: ModelSpec, x: tf.Tensor3D, w: tf.Tensor[]): { sequence: tf.Tensor3D; last: tf.Tensor2D } {
  const [kernel, recurrentKernel, bias] = w as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  const h0 = tf.zeros([x.shape[0], spec.units]) as tf.Tensor2D;
  if (spec.cell === 'simple') return autodiffSimpleRNN(x, kernel, recurrentKernel, bias, h0, spec.activation);
  if (spec.cell === 'lstm') return autodiffLSTM(x, kernel, recurrentKernel, bias, h0, h0, { activation: spec.activation });
  return autodiffGRU(x, kernel, recurrentKernel, bias, h0, { activation: spec.activation, resetAfter: spec.resetAfter });
}

/** The same model written with autodiff only, on the model's variables. */
function autodiffLogits(m: RnnModel, x: tf.Tensor): tf.Tensor {
  const spec = m.spec;
  const vars = m.variables;
  let i = 0;
  const take = (n: number): tf.Tensor[] => vars.slice(i, (i += n));
  let h: tf.Tensor =
    spec.input.kind === 'tokens' ? tf.reshape(tf.gather(take(1)[0], tf.reshape(x, [-1])), [x.shape[0], x.shape[1] as number, spec.embeddingDim]) : x;
  for (let k = 0; k < spec.layers; k++) {
    const sequences = k < spec.layers - 1 || spec.returnSequences;
    const forward = autodiffCell(spec, h as tf.Tensor3D, take(3));
    if (!spec.bidirectional) {
      h = sequences ? forward.sequence : forward.last;
      continue;
    }
    // tf.layers' Bidirectional: the backward layer reads the reversed sequence; its outputs are reversed back.
    const backward = autodiffCell(spec, tf.reverse(h, 1) as tf.Tensor3D, take(3));
    h = sequences ? tf.concat([forward.sequence, tf.reverse(backward.sequence, 1)], -1) : tf.concat([forward.last, backward.last], -1);
  }
  const [kernel, bias] = take(2);
  const rows = tf.reshape(h, [-1, kernel.shape[0]]);
  return tf.reshape(tf.add(tf.matMul(rows, kernel), bias), [...h.shape.slice(0, -1), spec.outputDim]);
}

const B = 3;
const T = 6;
const real = { input: { kind: 'real', dim: 2 }, embeddingDim: 0, outputDim: 1, objective: 'mse', returnSequences: false } as const;
const realX = () => tf.tensor3d(seededArray(B * T * 2, 12), [B, T, 2]);
const realY = () => tf.tensor2d(seededArray(B, 13), [B, 1]);
const binary = { input: { kind: 'tokens', vocabSize: 50 }, embeddingDim: 4, activation: 'tanh', outputDim: 1, objective: 'binary', returnSequences: false } as const;
const binaryX = () => seededIds([B, T], 50, 11);
const binaryY = () => tf.tensor2d([1, 0, 1], [B, 1]);
const chars = { input: { kind: 'tokens', vocabSize: 7 }, embeddingDim: 3, activation: 'tanh', outputDim: 7, objective: 'categorical', returnSequences: true } as const;
const charsX = () => seededIds([B, T], 7, 14);
const charsY = () => seededIds([B, T], 7, 15);

const cases: Array<{ name: string; spec: ModelSpec; x: () => tf.Tensor; y: () => tf.Tensor }> = [
  { name: "seed 002's shape: Embedding → SimpleRNN → Dense(1, sigmoid)", spec: modelSpec({ ...binary, units: 5, seed: 3 }), x: binaryX, y: binaryY },
  { name: 'real-valued SimpleRNN → Dense (mse)', spec: modelSpec({ ...real, units: 4, activation: 'relu', seed: 4 }), x: realX, y: realY },
  { name: 'chars: Embedding → SimpleRNN (sequence) → Dense(V) softmax', spec: modelSpec({ ...chars, units: 5, seed: 5 }), x: charsX, y: charsY },
  { name: 'real-valued LSTM → Dense (mse)', spec: modelSpec({ ...real, cell: 'lstm', units: 4, activation: 'tanh', seed: 6 }), x: realX, y: realY },
  { name: 'chars: Embedding → 2 × LSTM → Dense(V) softmax', spec: modelSpec({ ...chars, cell: 'lstm', layers: 2, units: 4, seed: 7 }), x: charsX, y: charsY },
  { name: 'Embedding → GRU (resetAfter false) → Dense(1, sigmoid)', spec: modelSpec({ ...binary, cell: 'gru', units: 4, seed: 8 }), x: binaryX, y: binaryY },
  { name: 'real-valued GRU (resetAfter true) → Dense (mse)', spec: modelSpec({ ...real, cell: 'gru', resetAfter: true, units: 4, activation: 'tanh', seed: 9 }), x: realX, y: realY },
  {
    name: 'Embedding → 2 × Bidirectional(GRU, resetAfter true) → Dense(1, sigmoid)',
    spec: modelSpec({ ...binary, cell: 'gru', resetAfter: true, layers: 2, bidirectional: true, units: 3, seed: 10 }),
    x: binaryX,
    y: binaryY,
  },
  { name: 'real-valued Bidirectional(LSTM) → Dense (mse)', spec: modelSpec({ ...real, cell: 'lstm', bidirectional: true, units: 3, activation: 'tanh', seed: 11 }), x: realX, y: realY },
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
        m.variables.forEach((v, i) => {
          const variable = m.weightNames[i];
          const e = relErr(ours.grads[v.name].dataSync(), ref.grads[v.name].dataSync());
          expect({ variable, relErr: e, ok: e <= 1e-5 }).toEqual({ variable, relErr: e, ok: true });
        });
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
