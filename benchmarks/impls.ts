/**
 * The implementations the benchmark times, all computing the same SimpleRNN (tanh, bias, h0 = 0)
 * on the same weights:
 *   ours      cell.forward / cell.forward + cell.weightGradients (manual BPTT)          src/cells/simple_rnn.ts
 *   autodiff  tf.variableGrads over a plain tf loop of our math
 *   naive     that plain loop, forward only: per step x_t·W + h·U + b, tanh, x_t from tf.unstack
 *   tf.layers tf.layers.simpleRNN: predict, and tf.variableGrads of sum(output)
 * Each `run(x)` returns the tensors the clock waits for (the caller reads and disposes them) and
 * disposes everything else it made.
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../src';

export type Kind = 'forward' | 'train';

export interface ShapeSpec {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
}

export interface Impl {
  /** Unique id, e.g. 'ours/train'. */
  id: string;
  /** Which implementation family: ours, autodiff, naive, tf.layers (torch lives in torch_rnn.py). */
  family: string;
  kind: Kind;
  /** One line saying what is timed. */
  what: string;
  run(x: tf.Tensor): tf.Tensor[];
}

export interface ImplSet {
  impls: Impl[];
  dispose(): void;
}

export const FAMILIES = ['ours', 'autodiff', 'naive', 'tf.layers'] as const;

/** Forward FLOPs of one call: 2·B·T·(D·H + H·H). */
export function forwardFlops(s: ShapeSpec): number {
  return 2 * s.B * s.T * (s.D * s.H + s.H * s.H);
}

/**
 * A training step here computes the WEIGHT gradients (what tf.variableGrads computes for
 * tf.layers/train and autodiff/train; ours/train calls cell.weightGradients): the forward, then
 * dh·Uᵀ, ∂W and ∂U, i.e. 2·B·T·(2·D·H + 3·H·H). The "3× the forward" also counts
 * ∂x = dA·Wᵀ, which none of these steps computes; counting it would put a cell at the matMul
 * ceiling above 100%.
 */
export function flopsOf(s: ShapeSpec, kind: Kind): number {
  return kind === 'forward' ? forwardFlops(s) : 2 * s.B * s.T * (2 * s.D * s.H + 3 * s.H * s.H);
}

/** The textbook loop: x [B, T, D] → [B, T, H], x_t taken by tf.unstack along time. */
function loopForward(x: tf.Tensor, W: tf.Tensor, U: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [B] = x.shape;
  const H = U.shape[0];
  const xs = tf.unstack(x, 1); // T × [B, D]
  let h: tf.Tensor = tf.zeros([B, H]); // [B, H]
  const hs: tf.Tensor[] = [];
  for (const xt of xs) {
    h = tf.tanh(tf.add(tf.add(tf.matMul(xt, W), tf.matMul(h, U)), b)); // [B, H]
    hs.push(h);
  }
  return tf.stack(hs, 1); // [B, T, H]
}

/**
 * Builds every implementation for shape s with the same seeded weights (our cell's initialisers,
 * seed `seed`). `families` picks which to build.
 */
export function makeImpls(s: ShapeSpec, seed: number, families: readonly string[] = FAMILIES): ImplSet {
  const { D, H } = s;
  const cell = new SimpleRNN({ inputDim: D, units: H, activation: 'tanh', useBias: true, seed });
  const weights = cell.getWeights(); // [kernel [D,H], recurrentKernel [H,H], bias [H]]
  const [Wv, Uv, bv] = weights.map((w) => tf.variable(w, true)); // autodiff's own copies
  const onesCache = new Map<string, tf.Tensor>();
  const onesLike = (t: tf.Tensor): tf.Tensor => {
    const key = t.shape.join('x');
    let o = onesCache.get(key);
    if (o === undefined) {
      o = tf.ones(t.shape); // dSequence of ones = the gradient of sum(sequence), like the others
      onesCache.set(key, o);
    }
    return o;
  };

  const model = tf.sequential({
    layers: [tf.layers.simpleRNN({
      units: H, returnSequences: true, inputShape: [null, D], activation: 'tanh',
      kernelInitializer: 'zeros', recurrentInitializer: 'zeros', // overwritten by setWeights (orthogonal init is slow)
    })],
  });
  model.layers[0].setWeights(weights);
  const layerVars = model.trainableWeights.map((w) => w.read() as tf.Variable);

  const all: Impl[] = [
    {
      id: 'ours/forward', family: 'ours', kind: 'forward',
      what: 'cell.forward(x); tape disposed',
      run: (x) => {
        const { sequence, last, tape } = cell.forward(x);
        tape.dispose();
        last.dispose();
        return [sequence];
      },
    },
    {
      id: 'ours/train', family: 'ours', kind: 'train',
      // The same gradients tf.variableGrads computes for tf.layers/train: the weights' (no ∂x).
      what: 'cell.forward(x) + cell.weightGradients(tape, { dSequence: ones }) (manual BPTT)',
      run: (x) => {
        const { sequence, last, tape } = cell.forward(x);
        const g = cell.weightGradients(tape, { dSequence: onesLike(sequence) });
        tape.dispose();
        tf.dispose([sequence, last]);
        return g.bias === null ? [g.kernel, g.recurrentKernel] : [g.kernel, g.recurrentKernel, g.bias];
      },
    },
    {
      id: 'autodiff/train', family: 'autodiff', kind: 'train',
      what: 'tf.variableGrads of sum(plain tf loop: tanh(x_t·W + h·U + b))',
      run: (x) => {
        const { value, grads } = tf.variableGrads(() => tf.sum(loopForward(x, Wv, Uv, bv)) as tf.Scalar, [Wv, Uv, bv] as tf.Variable[]);
        value.dispose();
        return Object.values(grads);
      },
    },
    {
      id: 'naive/forward', family: 'naive', kind: 'forward',
      what: 'plain tf loop, x_t by tf.unstack: tanh(x_t·W + h·U + b), tf.stack',
      run: (x) => [tf.tidy(() => loopForward(x, weights[0], weights[1], weights[2]))],
    },
    {
      id: 'tf.layers/forward', family: 'tf.layers', kind: 'forward',
      what: 'tf.layers.simpleRNN model.predict(x, { batchSize: B })',
      run: (x) => [model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor],
    },
    {
      id: 'tf.layers/train', family: 'tf.layers', kind: 'train',
      what: 'tf.variableGrads of sum(model.apply(x, { training: true }))',
      run: (x) => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, layerVars);
        value.dispose();
        return Object.values(grads);
      },
    },
  ];
  const impls = all.filter((i) => families.includes(i.family));
  return {
    impls,
    dispose: () => {
      cell.dispose();
      model.dispose();
      tf.dispose([...weights, Wv, Uv, bv, ...onesCache.values()]);
    },
  };
}

/**
 * The forward impl whose kernel count is subtracted from a training impl's to give its backward
 * count (autodiff differentiates the naive loop, so naive/forward is its forward).
 */
export function forwardPartner(impl: Impl): string | null {
  if (impl.kind === 'forward') return null;
  return impl.family === 'autodiff' ? 'naive/forward' : `${impl.family}/forward`;
}
