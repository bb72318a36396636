/**
 * The rule every webgpu test file follows, decided once per file before its tests are defined,
 * by probing in a child process (so Dawn's warnings stay out of the test run):
 * - an adapter exists (software ones too: lavapipe in CI): the GPU tests run on it;
 * - none, where webgpu is required (CI=true or TFJS_RNN_TEST_WEBGPU=1): a failing test says why;
 * - none elsewhere: the GPU tests are skipped, and the file says why on stderr.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform/backend/select';
import { firstLine } from '../src/platform/text';
import { noteWebGPUSkip } from './backend_log';
import { webgpuRequiredByEnv } from '../src/platform/webgpu/environment';
import { probeWebGPUInChildSync } from '../src/platform/webgpu/probe_child';
import { registerWebGPUBackend } from '../src/platform/webgpu/register';
import type { WebGPUInfo, WebGPUProbe } from '../src/platform/webgpu/types';

export interface WebGPUGate {
  /** What the child process found. */
  probe: WebGPUProbe;
  /** `test` where an adapter exists, `test.skip` where none does. */
  gpuTest: jest.It;
  /** The registered backend, set by the gate's beforeAll where an adapter exists. */
  info?: WebGPUInfo;
}

/** Applies the rule for the calling test file; where an adapter exists, registers webgpu before its tests. */
export function webgpuGate(testFile: string): WebGPUGate {
  const { probe } = probeWebGPUInChildSync();
  const gate: WebGPUGate = { probe, gpuTest: probe.available ? test : test.skip };
  if (probe.available) {
    beforeAll(async () => {
      gate.info = await registerWebGPUBackend({ allowSoftware: true });
      // Run every op on the GPU: tfjs otherwise computes small CPU-resident inputs on the CPU.
      tf.env().set('WEBGPU_CPU_FORWARD', false);
    });
  } else if (webgpuRequiredByEnv()) {
    test('a webgpu adapter exists (required here: CI=true or TFJS_RNN_TEST_WEBGPU=1)', () => {
      throw new Error(`expected a webgpu adapter (CI=true or TFJS_RNN_TEST_WEBGPU=1), got none: ${probe.reason}`);
    });
  } else {
    process.stderr.write(
      `${path.basename(testFile)}: GPU tests skipped, no webgpu adapter here: ${firstLine(probe.reason ?? 'no reason given', 300)}\n`,
    );
    noteWebGPUSkip(firstLine(probe.reason ?? 'no reason given', 300));
  }
  return gate;
}

/** Values of fn() computed on the cpu backend (in a tidy), read back as a plain array. */
export async function onCpu(fn: () => tf.Tensor): Promise<Float32Array> {
  const previous = tf.getBackend();
  await initBackend('cpu');
  const t = tf.tidy(fn);
  const values = (await t.data()) as Float32Array;
  t.dispose();
  await tf.setBackend(previous);
  return values;
}
