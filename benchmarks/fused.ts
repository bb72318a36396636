/**
 * The fused LSTM step on WebGPU (src/platform/webgpu/fused/) as benchmark rows, not yet a cell's
 * path: forward, and forward + manual BPTT (the weights' gradients and ∂x, as ours/train), on the
 * same seeded weights as the other rows; timed like them, with kernel launches per step counted by
 * tf.profile (kernels.ts). Only on the webgpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeTape, fusedLSTMBackward, fusedLSTMForward } from '../src/platform/webgpu/fused/lstm_loop';
import { seededTensor } from '../src/testing';
import { flopsOf } from './flops';
import { kernelsPerStep } from './kernels';
import type { ShapeSpec } from './shapes';
import { stat, timeCall } from './timing';
import type { Result } from './types';

const GATES = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;

/** fused/forward and fused/train for shape s. */
export function fusedLSTMImpls(s: ShapeSpec, seed: number) {
  const { B, D, H } = s;
  const w = { W: seededTensor([D, 4 * H], seed, -0.1, 0.1) as tf.Tensor2D, U: seededTensor([H, 4 * H], seed + 1, -0.1, 0.1) as tf.Tensor2D, b: tf.zeros([4 * H]) as tf.Tensor1D };
  const zeros = tf.zeros([B, H]) as tf.Tensor2D;
  const forward = (x: tf.Tensor): tf.Tensor[] => {
    const { sequence, tape } = fusedLSTMForward(x as tf.Tensor3D, w, zeros, zeros, GATES);
    disposeTape(tape);
    return [sequence];
  };
  const train = (x: tf.Tensor): tf.Tensor[] => {
    const { sequence, tape } = fusedLSTMForward(x as tf.Tensor3D, w, zeros, zeros, GATES);
    const ones = tf.onesLike(sequence) as tf.Tensor3D;
    const g = fusedLSTMBackward(tape, w, ones, null, null, GATES);
    disposeTape(tape);
    tf.dispose([sequence, ones, g.input, g.initialState, g.initialCell]);
    return [g.kernel, g.recurrentKernel, g.bias!];
  };
  return {
    impls: [
      { id: 'fused/forward', kind: 'forward' as const, what: 'fused WebGPU LSTM step (src/platform/webgpu/fused), forward', run: forward },
      { id: 'fused/train', kind: 'train' as const, what: 'fused WebGPU LSTM step, forward + manual BPTT', run: train },
    ],
    dispose: () => tf.dispose([w.W, w.U, w.b, zeros]),
  };
}

/** Times the fused rows at s within budgetS; the same statistics as bench_shape.ts. */
export async function benchFusedLSTM(s: ShapeSpec, budgetS: number, seed = 1): Promise<Result[]> {
  const set = fusedLSTMImpls(s, seed);
  const x = seededTensor([s.B, s.T, s.D], seed + 1); // [B, T, D]
  const out: Result[] = [];
  try {
    for (const impl of set.impls) {
      const r: Result = {
        backend: tf.getBackend(), shape: s.name, B: s.B, T: s.T, D: s.D, H: s.H, impl: impl.id, family: 'fused', kind: impl.kind, what: impl.what,
        status: 'ok', gflopPerCall: flopsOf(s, impl.kind, 4) / 1e9,
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
