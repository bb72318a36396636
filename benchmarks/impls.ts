/**
 * The implementations the benchmark times, all computing the same cell (tanh, bias, zero initial
 * states) on the same weights, built from the cell's entry in cells.ts:
 *   ours      cell.forward / cell.forward + cell.weightGradients (manual BPTT)          src/cells/
 *   autodiff  tf.variableGrads over a plain tf loop of the cell (src/reference/autodiff.ts)
 *   naive     that plain loop, forward only
 *   tf.layers the stock layer: predict, and tf.variableGrads of sum(output)
 *   layer     our drop-in layer (src/layers/), the same two calls: its own path, fused on webgpu
 *   layer-unfused  the same with TFJS_RNN_FUSED off (the driver's step loop); webgpu only, where
 *             the two differ
 * (torch runs in its own process: torch.ts.) Each `run(x)` returns the tensors the clock waits
 * for (the caller reads and disposes them) and disposes everything else it made.
 */
import * as tf from '@tensorflow/tfjs';
import { CellBench, Weights } from './cells';
import { seededTensor } from '../src/testing';
import type { ShapeSpec } from './shapes';
import type { Kind } from './types';

export interface Impl {
  /** Unique id, e.g. 'ours/train'. */
  id: string;
  /** Which implementation family: ours, autodiff, naive, tf.layers. */
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

export const FAMILIES = ['ours', 'autodiff', 'naive', 'tf.layers', 'layer', 'layer-unfused'] as const;

/** Runs f with the fused path off (src/scan/sequence.ts's switch). */
function unfused<T>(f: () => T): T {
  const was = tf.env().getBool('TFJS_RNN_FUSED');
  tf.env().set('TFJS_RNN_FUSED', false);
  try {
    return f();
  } finally {
    tf.env().set('TFJS_RNN_FUSED', was);
  }
}

/** The gradients of sum(f()) with respect to xs. */
function gradsOfSum(f: () => tf.Tensor, xs: tf.Variable[]): tf.Tensor[] {
  const { value, grads } = tf.variableGrads(() => tf.sum(f()) as tf.Scalar, xs);
  value.dispose();
  return Object.values(grads);
}

/** A model's forward (predict) and training step (tf.variableGrads of the sum of its training-mode output) as two impls of `family`. */
function modelImpls(family: string, m: tf.LayersModel, vars: tf.Variable[], what: string): Impl[] {
  return [
    {
      id: `${family}/forward`, family, kind: 'forward',
      what: `${what} model.predict(x, { batchSize: B })`,
      run: (x) => [m.predict(x, { batchSize: x.shape[0] }) as tf.Tensor],
    },
    {
      id: `${family}/train`, family, kind: 'train',
      what: `tf.variableGrads of sum(${what} model.apply(x, { training: true }))`,
      run: (x) => gradsOfSum(() => m.apply(x, { training: true }) as tf.Tensor, vars),
    },
  ];
}

/** Every family `--impls` accepts: these and torch (torch.ts runs it). */
export const ALL_FAMILIES: readonly string[] = [...FAMILIES, 'torch'];

/** dSequence of ones = the gradient of sum(sequence), what the other training steps differentiate. */
function onesCache(): { of(t: tf.Tensor): tf.Tensor; dispose(): void } {
  const cache = new Map<string, tf.Tensor>();
  return {
    of: (t) => {
      const key = t.shape.join('x');
      let o = cache.get(key);
      if (o === undefined) {
        o = tf.ones(t.shape);
        cache.set(key, o);
      }
      return o;
    },
    dispose: () => tf.dispose([...cache.values()]),
  };
}

/**
 * Stand-in weights for a cell without a class of ours, Keras-like and seeded: kernel
 * U(±√(6/(D + G·H))) (glorot), recurrent kernel U(±1/√H), bias zeros. Timing does not depend on
 * the values.
 */
function seededWeights(D: number, H: number, G: number, seed: number): Weights {
  const l = Math.sqrt(6 / (D + G * H));
  const r = 1 / Math.sqrt(H);
  return [seededTensor([D, G * H], seed, -l, l), seededTensor([H, G * H], seed + 1, -r, r), tf.zeros([G * H])];
}

/**
 * Builds the implementations of `cell` for shape s that `families` asks for and that exist (no
 * "ours" rows for a cell without a class of ours), with the same seeded weights: our cell's
 * initialisers when there is one (seed `seed`), else seededWeights.
 */
export function makeImpls(cell: CellBench, s: ShapeSpec, seed: number, families: readonly string[] = FAMILIES): ImplSet {
  const { D, H } = s;
  const ours = cell.ours?.(D, H, seed);
  const weights = ours ? (ours.getWeights() as Weights) : seededWeights(D, H, cell.gates, seed);
  const vars = weights.map((w) => tf.variable(w, true)) as [tf.Variable, tf.Variable, tf.Variable]; // autodiff's own copies
  const ones = onesCache();

  const model = tf.sequential({ layers: [cell.layer.make(D, H)] });
  model.layers[0].setWeights(weights);
  const layerVars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const own = tf.sequential({ layers: [cell.dropIn.make(D, H)] });
  own.layers[0].setWeights(weights);
  const ownVars = own.trainableWeights.map((w) => w.read() as tf.Variable);

  const oursImpls: Impl[] = ours === undefined ? [] : [
    {
      id: 'ours/forward', family: 'ours', kind: 'forward',
      what: 'cell.forward(x); tape disposed',
      run: (x) => {
        const { sequence, last, lastCell, tape } = ours.forward(x);
        tape.dispose();
        tf.dispose(lastCell === undefined ? [last] : [last, lastCell]);
        return [sequence];
      },
    },
    {
      id: 'ours/train', family: 'ours', kind: 'train',
      // The same gradients tf.variableGrads computes for tf.layers/train: the weights' (no ∂x).
      what: 'cell.forward(x) + cell.weightGradients(tape, { dSequence: ones }) (manual BPTT)',
      run: (x) => {
        const { sequence, last, lastCell, tape } = ours.forward(x);
        const g = ours.weightGradients(tape, { dSequence: ones.of(sequence) });
        tape.dispose();
        tf.dispose(lastCell === undefined ? [sequence, last] : [sequence, last, lastCell]);
        return g.bias === null ? [g.kernel, g.recurrentKernel] : [g.kernel, g.recurrentKernel, g.bias];
      },
    },
  ];
  const all: Impl[] = [
    ...oursImpls,
    {
      id: 'autodiff/train', family: 'autodiff', kind: 'train',
      what: `tf.variableGrads of sum(${cell.loop.what})`,
      run: (x) => gradsOfSum(() => cell.loop.run(x, vars), vars),
    },
    {
      id: 'naive/forward', family: 'naive', kind: 'forward',
      what: `${cell.loop.what}; forward only`,
      run: (x) => [tf.tidy(() => cell.loop.run(x, weights))],
    },
    ...modelImpls('tf.layers', model, layerVars, cell.layer.what),
    ...modelImpls('layer', own, ownVars, cell.dropIn.what),
    ...(tf.getBackend() !== 'webgpu' ? [] : modelImpls('layer', own, ownVars, cell.dropIn.what).map((i) => ({
      ...i,
      id: i.id.replace('layer/', 'layer-unfused/'),
      family: 'layer-unfused',
      what: `${i.id} with TFJS_RNN_FUSED off (the driver's step loop)`,
      run: (x: tf.Tensor) => unfused(() => i.run(x)),
    }))),
  ];
  return {
    impls: all.filter((i) => families.includes(i.family)),
    dispose: () => {
      ours?.dispose();
      model.dispose();
      own.dispose();
      ones.dispose();
      tf.dispose([...weights, ...vars]);
    },
  };
}

/**
 * The forward impl whose kernel count is subtracted from a training impl's to give its backward
 * count (autodiff differentiates the naive loop, so naive/forward is its forward).
 */
export function forwardPartner(impl: Pick<Impl, 'kind' | 'family'>): string | null {
  if (impl.kind === 'forward') return null;
  return impl.family === 'autodiff' ? 'naive/forward' : `${impl.family}/forward`;
}
