/**
 * After every test file: a Dawn validation error raised while a test ran on webgpu fails the file
 * (tfjs's webgpu backend would otherwise only print it), and the file's webgpu backend is removed,
 * which destroys its Dawn device. Jest runs many files in one process (all of them on a 2-core
 * machine); devices left alive pile up there until lavapipe crashes the process.
 */
import * as tf from '@tensorflow/tfjs';
import { assertNoWebGPUErrors } from '../src/platform/webgpu/errors';

afterAll(async () => {
  if (tf.getBackend() === 'webgpu') await assertNoWebGPUErrors();
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
});
