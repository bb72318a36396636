/**
 * After every test file: a Dawn validation error raised while a test ran on webgpu fails the file
 * (tfjs's webgpu backend would otherwise only print it).
 */
import * as tf from '@tensorflow/tfjs';
import { assertNoWebGPUErrors } from '../src/platform/webgpu/errors';

afterAll(async () => {
  if (tf.getBackend() === 'webgpu') await assertNoWebGPUErrors();
});
