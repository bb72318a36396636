/**
 * gradientFlow's ‖∂L/∂h_t‖ (manual BPTT's state gradients of the first recurrent layer) equals the
 * same quantity by tfjs autodiff: the first layer run one step at a time (src/reference/autodiff.ts)
 * with a zero δ_t added to each state h_t, the rest of the model applied after it; ∂L/∂δ_t is the
 * total ∂L/∂h_t. For a bidirectional layer both directions count at input position t.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { autodiffGRU, autodiffLSTM, autodiffSimpleRNN } from '../src/reference/autodiff';
import { gradientFlow } from '../src/train/grad_flow';
import { ModelSpec, RnnModel } from '../src/train/model';
import { expectNoLeak, relErr, seededArray } from './helpers';
import { modelSpec } from './train_helpers';

const B = 3;
const T = 5;

/** States h_1..h_T of one direction, each plus its δ_t; c carried unperturbed (LSTM). */
function perturbedStates(spec: ModelSpec, x: tf.Tensor3D, w: tf.Tensor[], deltas: tf.Tensor2D[]): tf.Tensor2D[] {
  const [kernel, recurrentKernel, bias] = w as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  const D = x.shape[2];
  let h = tf.zeros([B, spec.units]) as tf.Tensor2D;
  let c = h;
  const out: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    const xt = tf.slice(x, [0, t, 0], [B, 1, D]) as tf.Tensor3D;
    let next: tf.Tensor2D;
    if (spec.cell === 'simple') next = autodiffSimpleRNN(xt, kernel, recurrentKernel, bias, h, spec.activation).last;
    else if (spec.cell === 'gru') next = autodiffGRU(xt, kernel, recurrentKernel, bias, h, { resetAfter: spec.resetAfter }).last;
    else {
      const r = autodiffLSTM(xt, kernel, recurrentKernel, bias, h, c);
      next = r.last;
      c = r.lastCell;
    }
    h = tf.add(next, deltas[t]) as tf.Tensor2D;
    out.push(h);
  }
  return out;
}

/** ‖∂L/∂h_t‖ for t = 1..T by autodiff (see the top of the file). */
function autodiffFlow(m: RnnModel, x: tf.Tensor, y: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    const spec = m.spec;
    const layers = m.net.layers;
    const k = spec.input.kind === 'tokens' ? 1 : 0;
    const input = (k === 1 ? layers[0].apply(x) : x) as tf.Tensor3D;
    const w = layers[k].trainableWeights.map((v) => v.read());
    const directions = spec.bidirectional ? 2 : 1;
    const deltas = Array.from({ length: directions * T }, () => tf.zeros([B, spec.units]) as tf.Tensor2D);
    const sequences = spec.layers > 1 || spec.returnSequences;
    const loss = (...ds: tf.Tensor[]): tf.Scalar => {
      const fwd = perturbedStates(spec, input, w.slice(0, 3), ds.slice(0, T) as tf.Tensor2D[]);
      let out: tf.Tensor = sequences ? tf.stack(fwd, 1) : fwd[T - 1];
      if (directions === 2) {
        const bwd = perturbedStates(spec, tf.reverse(input, 1) as tf.Tensor3D, w.slice(3), ds.slice(T) as tf.Tensor2D[]);
        out = tf.concat([out, sequences ? tf.reverse(tf.stack(bwd, 1), 1) : bwd[T - 1]], -1);
      }
      return m.lossOf(layers.slice(k + 1).reduce((h, l) => l.apply(h) as tf.Tensor, out), y);
    };
    const g = tf.grads(loss)(deltas);
    const sq = Array.from({ length: T }, (_, t) => {
      let s = tf.sum(tf.square(g[t]));
      if (directions === 2) s = tf.add(s, tf.sum(tf.square(g[T + (T - 1 - t)]))); // the backward state at input t
      return tf.sqrt(s);
    });
    return tf.stack(sq).dataSync() as Float32Array;
  });
}

const real = { input: { kind: 'real', dim: 2 }, embeddingDim: 0, outputDim: 1, objective: 'mse', returnSequences: false, activation: 'tanh' } as const;
const chars = { input: { kind: 'tokens', vocabSize: 7 }, embeddingDim: 3, activation: 'tanh', outputDim: 7, objective: 'categorical', returnSequences: true } as const;

const cases: Array<{ name: string; spec: ModelSpec }> = [
  { name: 'SimpleRNN(relu) → Dense', spec: modelSpec({ ...real, activation: 'relu', units: 4, seed: 1 }) },
  { name: 'chars: Embedding → 2 × LSTM → Dense(V)', spec: modelSpec({ ...chars, cell: 'lstm', layers: 2, units: 4, seed: 2 }) },
  { name: 'Bidirectional(GRU, resetAfter true) → Dense', spec: modelSpec({ ...real, cell: 'gru', resetAfter: true, bidirectional: true, units: 3, seed: 3 }) },
  { name: '2 × Bidirectional(LSTM) → Dense', spec: modelSpec({ ...real, cell: 'lstm', layers: 2, bidirectional: true, units: 3, seed: 4 }) },
];

describe('gradient flow of the first recurrent layer: manual BPTT vs autodiff', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  for (const c of cases) {
    it(c.name, async () => {
      const m = new RnnModel(c.spec);
      // Weights off their initial values, so the states and the gradient are not special.
      tf.tidy(() => m.variables.forEach((v, j) => v.assign(tf.add(v, tf.tensor(seededArray(v.size, 40 + j, -0.3, 0.3), v.shape)))));
      const tokens = c.spec.input.kind === 'tokens';
      const x = tokens ? tf.tensor2d(Int32Array.from(seededArray(B * T, 5, 0, 7), Math.floor), [B, T], 'int32') : tf.tensor3d(seededArray(B * T * 2, 6), [B, T, 2]);
      const y = tokens ? tf.tensor2d(Int32Array.from(seededArray(B * T, 7, 0, 7), Math.floor), [B, T], 'int32') : tf.tensor2d(seededArray(B, 8), [B, 1]);
      await expectNoLeak(async () => {
        const ours = await gradientFlow(m, x, y);
        const ref = autodiffFlow(m, x, y);
        expect(ours.length).toBe(T);
        expect(ours.every((n) => n > 0)).toBe(true);
        expect(relErr(ours, ref)).toBeLessThanOrEqual(1e-5);
      });
      tf.dispose([x, y]);
      m.dispose();
    });
  }
});
