/**
 * The rule every webgpu test file follows. Where webgpu is required (CI=true or
 * TFJS_RNN_TEST_WEBGPU=1) an unavailable adapter fails the file; elsewhere the file still runs and
 * asserts that probeWebGPU() says available:false with a reason, so it is never a silent no-op.
 */
import * as tf from '@tensorflow/tfjs';
import { probeWebGPU, registerWebGPUBackend, webgpuRequiredByEnv, WebGPUInfo, WebGPUProbe } from '../src/webgpu';

export interface WebGPUGate {
  probe: WebGPUProbe;
  /** Set when the webgpu backend is registered and current. */
  info?: WebGPUInfo;
}

/** Probes, applies the rule, and on success registers webgpu (software allowed: lavapipe in CI). */
export async function openWebGPUGate(): Promise<WebGPUGate> {
  const probe = await probeWebGPU();
  if (!probe.available) {
    if (webgpuRequiredByEnv()) {
      throw new Error(`expected a webgpu adapter (CI=true or TFJS_RNN_TEST_WEBGPU=1), got none: ${probe.reason}`);
    }
    expect(probe.reason).toMatch(/\S{10}/);
    return { probe };
  }
  const info = await registerWebGPUBackend({ allowSoftware: true });
  // Run every op on the GPU: tfjs otherwise computes small CPU-resident inputs on the CPU.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return { probe, info };
}

/** Values of fn() computed on the cpu backend, read back as a plain array. */
export async function onCpu(fn: () => tf.Tensor): Promise<Float32Array> {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  const t = fn();
  const values = (await t.data()) as Float32Array;
  t.dispose();
  await tf.setBackend(previous);
  return values;
}
