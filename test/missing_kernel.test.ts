/**
 * A backend missing a kernel gives an error naming the kernel and the backend (wasm has no
 * Einsum in tfjs 4.22; its UnsortedSegmentSum is ours, src/platform/backend/wasm_kernels.ts).
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
      err = await withKernelCheck(() => tf.einsum('i,i->', x, x)).then(() => null, (e: unknown) => e);
      x.dispose();
    });
    expect(err).toBeInstanceOf(MissingKernelError);
    const mk = err as MissingKernelError;
    expect(mk.kernel).toBe('Einsum');
    expect(mk.backend).toBe('wasm');
    expect(mk.message).toContain("Kernel 'Einsum' not registered for backend 'wasm'");
    expect(mk.message).toContain('--backend cpu');
  });

  it('lists the kernels a backend lacks, and leaves other errors alone', () => {
    expect(missingKernels(['Einsum', 'UnsortedSegmentSum', 'BatchMatMul', 'Tanh'], 'wasm')).toEqual(['Einsum']);
    expect(missingKernels(['Einsum'], 'cpu')).toEqual([]);
    expect(asMissingKernelError(new Error('shapes do not match'))).toBeNull();
  });
});
