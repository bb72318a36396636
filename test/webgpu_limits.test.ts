/**
 * tfjs 4.22 requests no maxStorageBuffersPerShaderStage, so its device gets the default 8 and
 * tf.addN of 8 tensors (8 inputs + 1 output = 9 storage buffers) silently gave wrong results.
 * registerWebGPUBackend requests the adapter's own limits and splits AddN into chunks that fit.
 */
import * as tf from '@tensorflow/tfjs';
import { assertNoWebGPUErrors } from '../src/webgpu';
import { expectNoLeak, relErr, seededArray } from './helpers';
import { onCpu, openWebGPUGate, WebGPUGate } from './webgpu_gate';

let gate: WebGPUGate;
beforeAll(async () => {
  gate = await openWebGPUGate();
});

test('the device is granted the adapter’s own limits, not the WebGPU defaults', async () => {
  if (!gate.info) return; // openWebGPUGate asserted the reason
  const adapterLimits = gate.probe.limits!;
  expect(gate.info.limits).toEqual(adapterLimits);
  expect(gate.info.limits.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
});

test.each([2, 8, 12, 20, 40])('addN of %i tensors agrees with the cpu backend', async (n) => {
  if (!gate.info) return;
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
