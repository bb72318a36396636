/**
 * A WebGPU validation error is an error, not noise: it surfaces as an exception at the next sync
 * point (assertNoWebGPUErrors, await data()), and what Dawn prints of it (on stdout) is recognised when no
 * listener took it (a device we did not create, a child process, a CI log).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { assertNoWebGPUErrors, findDawnErrors, triggerValidationErrorForTest, webgpuErrors } from '../src/webgpu';
import { openWebGPUGate, WebGPUGate } from './webgpu_gate';

let gate: WebGPUGate;
beforeAll(async () => {
  gate = await openWebGPUGate();
});

test('a validation error makes assertNoWebGPUErrors throw, once', async () => {
  if (!gate.info) return; // openWebGPUGate asserted the reason
  await assertNoWebGPUErrors();
  triggerValidationErrorForTest();
  await expect(assertNoWebGPUErrors()).rejects.toThrow(/GPUValidationError: .*invalid for WGPUBufferUsage/);
  await expect(assertNoWebGPUErrors()).resolves.toBeUndefined();
});

test('a validation error makes the next await data() throw', async () => {
  if (!gate.info) return;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.add(x, 1); // [3]
  triggerValidationErrorForTest();
  await expect(y.data()).rejects.toThrow(/WebGPU reported 1 error/);
  expect(webgpuErrors()).toEqual([]);
  expect(Array.from(await y.data())).toEqual([2, 3, 4]);
  tf.dispose([x, y]);
});

test('Dawn’s printed validation message is recognised, and its adapter warnings are not', () => {
  if (!gate.info) return;
  // A device with no uncapturederror listener: Dawn prints the error (to stdout) and carries on.
  const script = `
    const { create } = require('webgpu');
    (async () => {
      const device = await (await create([]).requestAdapter()).requestDevice();
      device.createBuffer({ size: 4, usage: 0xffffffff });
      await device.queue.onSubmittedWorkDone();
      setTimeout(() => device.destroy(), 50);
    })();`;
  const child = spawnSync(process.execPath, ['-e', script], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
    timeout: 30000,
  });
  expect(child.status).toBe(0); // the process itself does not fail: that is the danger
  const found = findDawnErrors(child.stdout + child.stderr);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(/^validation: Value 4294967295 is invalid for WGPUBufferUsage/);
  expect(findDawnErrors('Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16')).toEqual([]);
});
