/**
 * A backend missing a kernel gives an error naming the kernel and the backend (wasm has no
 * UnsortedSegmentSum in tfjs 4.22).
 */
import * as tf from '@tensorflow/tfjs';
import { asMissingKernelError, MissingKernelError, missingKernels, withKernelCheck } from '../src/platform/backend/missing_kernel';
import { initBackend } from '../src/platform/backend/select';
import { expectNoLeak } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('missing kernels', () => {
  it('turns tfjs\'s error into a MissingKernelError naming kernel and backend', async () => {
    let err: unknown;
    await expectNoLeak(async () => {
      const x = tf.tensor1d([1, 2, 3, 4]);
      const ids = tf.tensor1d([0, 1, 0, 1], 'int32');
      err = await withKernelCheck(() => tf.unsortedSegmentSum(x, ids, 2)).then(() => null, (e: unknown) => e);
      tf.dispose([x, ids]);
    });
    expect(err).toBeInstanceOf(MissingKernelError);
    const mk = err as MissingKernelError;
    expect(mk.kernel).toBe('UnsortedSegmentSum');
    expect(mk.backend).toBe('wasm');
    expect(mk.message).toContain("Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'");
    expect(mk.message).toContain('--backend cpu');
  });

  it('lists the kernels a backend lacks, and leaves other errors alone', () => {
    expect(missingKernels(['UnsortedSegmentSum', 'BatchMatMul', 'Tanh'], 'wasm')).toEqual(['UnsortedSegmentSum']);
    expect(missingKernels(['UnsortedSegmentSum'], 'cpu')).toEqual([]);
    expect(asMissingKernelError(new Error('shapes do not match'))).toBeNull();
  });
});
