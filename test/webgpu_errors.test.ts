/**
 * A WebGPU validation error is an error, not noise: it surfaces as an exception at the next sync
 * point (assertNoWebGPUErrors, await data()), and what Dawn prints of it (on stdout) is recognised when no
 * listener took it (a device we did not create, a child process, a CI log).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { assertNoWebGPUErrors, findDawnErrors, triggerValidationErrorForTest, webgpuErrors } from '../src/platform/webgpu/errors';
import { webgpuGate } from './webgpu_gate';

const gate = webgpuGate(__filename);

gate.gpuTest('a validation error makes assertNoWebGPUErrors throw, once', async () => {
  await assertNoWebGPUErrors();
  triggerValidationErrorForTest();
  await expect(assertNoWebGPUErrors()).rejects.toThrow(/GPUValidationError: .*invalid for WGPUBufferUsage/);
  await expect(assertNoWebGPUErrors()).resolves.toBeUndefined();
});

gate.gpuTest('a validation error makes the next await data() throw', async () => {
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.add(x, 1); // [3]
  triggerValidationErrorForTest();
  await expect(y.data()).rejects.toThrow(/WebGPU reported 1 error/);
  expect(webgpuErrors()).toEqual([]);
  expect(Array.from(await y.data())).toEqual([2, 3, 4]);
  tf.dispose([x, y]);
});

gate.gpuTest('Dawn’s printed validation message is recognised', () => {
  // A device with no uncapturederror listener: Dawn prints the error (to stdout) and carries on.
  // It asks the Dawn backend the gate found the adapter on (Vulkan, or OpenGL ES where Vulkan is absent).
  const script = `
    const { create } = require('webgpu');
    const backend = process.argv[1];
    (async () => {
      const gpu = create(['backend=' + backend]);
      const adapter = await gpu.requestAdapter(backend === 'opengles' ? { featureLevel: 'compatibility' } : {});
      if (!adapter) throw new Error('expected an adapter from Dawn ' + backend + ', got none');
      const device = await adapter.requestDevice();
      device.createBuffer({ size: 4, usage: 0xffffffff });
      await device.queue.onSubmittedWorkDone();
      setTimeout(() => device.destroy(), 50);
    })();`;
  const backend = gate.info!.adapter.dawnBackend;
  const child = spawnSync(process.execPath, ['-e', script, backend], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, ...(backend === 'opengles' ? { EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless' } : {}) },
    encoding: 'utf8',
    timeout: 30000,
  });
  expect(child.stderr).not.toMatch(/expected an adapter/);
  expect(child.status).toBe(0); // the process itself does not fail: that is the danger
  const found = findDawnErrors(child.stdout + child.stderr);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(/^validation: Value 4294967295 is invalid for WGPUBufferUsage/);
});

test('Dawn’s adapter warnings are not taken for errors', () => {
  expect(findDawnErrors('Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16')).toEqual([]);
  expect(findDawnErrors("Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file")).toEqual([]);
});
