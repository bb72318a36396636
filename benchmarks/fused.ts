/**
 * The fused SimpleRNN, LSTM and GRU loops on WebGPU (src/platform/webgpu/fused/) as benchmark rows of
 * their own (the drop-in layers run them on webgpu: impls.ts's layer rows): forward, and forward +
 * manual BPTT (the weights' gradients and ∂x, as ours/train), on the same seeded weights as the
 * other rows; timed like them, with kernel launches per step counted by tf.profile (kernels.ts).
 * Only on the webgpu backend. `masked` gives every pass a mask [T, B] in which sequence b ends b
 * steps early (to count the masked kernels; not a benchmark row).
 */
import * as tf from '@tensorflow/tfjs';
import { disposeGRUTape, fusedGRUBackward, fusedGRUForward } from '../src/platform/webgpu/fused/gru_loop';
import { disposeTape, fusedLSTMBackward, fusedLSTMForward } from '../src/platform/webgpu/fused/lstm_loop';
import { fusedSimpleRNNBackward, fusedSimpleRNNForward } from '../src/platform/webgpu/fused/simple_rnn';
import { seededTensor } from '../src/testing';
import { flopsOf } from './flops';
import { kernelsPerStep } from './kernels';
import type { ShapeSpec } from './shapes';
import { stat, timeCall } from './timing';
import type { Result } from './types';

const GATES = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;

/** The cells with a fused step; 'gru' is resetAfter false (as the benchmark's GRU), 'gru-after' true. */
export type FusedCell = 'simple' | 'lstm' | 'gru' | 'gru-after';

interface Impl {
  id: string;
  kind: 'forward' | 'train';
  what: string;
  run(x: tf.Tensor): tf.Tensor[];
}

/** Mask [T, B]: sequence b runs T − b steps (at least one). */
function tailMask(T: number, B: number): tf.Tensor2D {
  const m = new Float32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) m[t * B + b] = t < Math.max(1, T - b) ? 1 : 0;
  return tf.tensor2d(m, [T, B]);
}

/** fused/forward and fused/train of one cell at shape s: zero initial states, dSequence of ones. */
export function fusedImpls(cell: FusedCell, s: ShapeSpec, seed: number, masked = false): { impls: Impl[]; gates: number; dispose(): void } {
  const { B, D, H } = s;
  const G = cell === 'lstm' ? 4 : cell === 'simple' ? 1 : 3;
  const W = seededTensor([D, G * H], seed, -0.1, 0.1) as tf.Tensor2D;
  const U = seededTensor([H, G * H], seed + 1, -0.1, 0.1) as tf.Tensor2D;
  const b = tf.zeros(cell === 'gru-after' ? [2, G * H] : [G * H]);
  const zeros = tf.zeros([B, H]) as tf.Tensor2D;
  const gru = { ...GATES, resetAfter: cell === 'gru-after' };
  // Each pass returns [sequence, gradients or nothing] and frees the rest.
  const pass = (x: tf.Tensor, train: boolean): tf.Tensor[] => {
    const mask = masked ? tailMask(x.shape[1]!, B) : null;
    try {
      return passMasked(x, train, mask);
    } finally {
      mask?.dispose();
    }
  };
  const passMasked = (x: tf.Tensor, train: boolean, mask: tf.Tensor2D | null): tf.Tensor[] => {
    if (cell === 'simple') {
      const w = { W, U, b: b as tf.Tensor1D };
      const { sequence, states } = fusedSimpleRNNForward(x as tf.Tensor3D, w, zeros, GATES, mask);
      const g = train ? fusedSimpleRNNBackward(x as tf.Tensor3D, states, w, tf.onesLike(sequence) as tf.Tensor3D, null, GATES, mask) : null;
      tf.dispose(states.slice(1));
      if (g === null) return [sequence];
      tf.dispose([sequence, g.input, g.initialState]);
      return [g.kernel, g.recurrentKernel, g.bias!];
    }
    if (cell === 'lstm') {
      const w = { W, U, b: b as tf.Tensor1D };
      const { sequence, tape } = fusedLSTMForward(x as tf.Tensor3D, w, zeros, zeros, GATES, mask);
      const g = train ? fusedLSTMBackward(tape, w, tf.onesLike(sequence) as tf.Tensor3D, null, null, GATES) : null;
      disposeTape(tape);
      if (g === null) return [sequence];
      tf.dispose([sequence, g.input, g.initialState, g.initialCell]);
      return [g.kernel, g.recurrentKernel, g.bias!];
    }
    const w = { W, U, b };
    const { sequence, tape } = fusedGRUForward(x as tf.Tensor3D, w, zeros, gru, mask);
    const g = train ? fusedGRUBackward(tape, w, tf.onesLike(sequence) as tf.Tensor3D, null, gru) : null;
    disposeGRUTape(tape);
    if (g === null) return [sequence];
    tf.dispose([sequence, g.input, g.initialState]);
    return [g.kernel, g.recurrentKernel, g.bias!];
  };
  const name = cell === 'lstm' ? 'LSTM' : cell === 'simple' ? 'SimpleRNN' : `GRU (resetAfter ${cell === 'gru-after'})`;
  return {
    impls: [
      { id: 'fused/forward', kind: 'forward', what: `fused WebGPU ${name} step (src/platform/webgpu/fused), forward`, run: (x) => pass(x, false) },
      { id: 'fused/train', kind: 'train', what: `fused WebGPU ${name} step, forward + manual BPTT`, run: (x) => tf.tidy(() => pass(x, true)) },
    ],
    gates: G,
    dispose: () => tf.dispose([W, U, b, zeros]),
  };
}

/** Times the fused rows at s within budgetS; the same statistics as bench_shape.ts. */
export async function benchFused(cell: FusedCell, s: ShapeSpec, budgetS: number, seed = 1, masked = false): Promise<Result[]> {
  const set = fusedImpls(cell, s, seed, masked);
  const x = seededTensor([s.B, s.T, s.D], seed + 1); // [B, T, D]
  const out: Result[] = [];
  try {
    for (const impl of set.impls) {
      const r: Result = {
        backend: tf.getBackend(), shape: s.name, B: s.B, T: s.T, D: s.D, H: s.H, impl: impl.id, family: 'fused', kind: impl.kind, what: impl.what,
        status: 'ok', gflopPerCall: flopsOf(s, impl.kind, set.gates) / 1e9,
      };
      out.push(r);
      const first = await timeCall(impl.run, x);
      const n = Math.max(1, Math.min(5, Math.floor((budgetS * 500) / first)));
      const samples: number[] = [];
      for (let k = 0; k < n; k++) samples.push(await timeCall(impl.run, x));
      r.ms = stat(samples);
      r.seqPerSec = s.B / (r.ms.median / 1000);
      r.gflops = r.gflopPerCall / (r.ms.median / 1000);
      r.kernels = await kernelsPerStep(impl.run, s, 5);
    }
    const [f, t] = out;
    f.kernelsPerStepForward = f.kernels?.launchesPerStep;
    t.kernelsPerStepForward = f.kernels?.launchesPerStep;
    if (t.kernels && f.kernels) t.kernelsPerStepBackward = t.kernels.launchesPerStep - f.kernels.launchesPerStep;
  } finally {
    x.dispose();
    set.dispose();
  }
  return out;
}
