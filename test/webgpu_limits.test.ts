/**
 * tfjs 4.22 requests no maxStorageBuffersPerShaderStage, so its device gets the default 8 and
 * tf.addN of 8 tensors (8 inputs + 1 output = 9 storage buffers) silently gave wrong results.
 * registerWebGPUBackend requests the adapter's own limits and splits AddN into chunks that fit.
 */
import * as tf from '@tensorflow/tfjs';
import { assertNoWebGPUErrors } from '../src/platform/webgpu/errors';
import { expectNoLeak, relErr, seededArray } from './helpers';
import { onCpu, webgpuGate } from './webgpu_gate';

const gate = webgpuGate(__filename);

gate.gpuTest('the device is granted the adapter’s own limits, not the WebGPU defaults', async () => {
  const adapterLimits = gate.probe.limits!;
  expect(gate.info!.limits).toEqual(adapterLimits);
  expect(gate.info!.limits.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
});

gate.gpuTest.each([2, 8, 12, 20, 40])('addN of %i tensors agrees with the cpu backend', async (n) => {
  const arrays = Array.from({ length: n }, (_, i) => seededArray(300, 100 + i)); // n × [300]
  const expected = await onCpu(() => tf.addN(arrays.map((a) => tf.tensor1d(a))));
  await expectNoLeak(async () => {
    const xs = arrays.map((a) => tf.tensor1d(a));
    const sum = tf.addN(xs); // [300]
    const got = (await sum.data()) as Float32Array;
    tf.dispose([...xs, sum]);
    expect(relErr(got, expected)).toBeLessThan(1e-6);
  });
  await assertNoWebGPUErrors();
});
