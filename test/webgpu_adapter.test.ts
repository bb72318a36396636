/**
 * Which adapter may run: a hardware GPU is auto-selectable, a software one (Mesa lavapipe,
 * llvmpipe through OpenGL ES, SwiftShader) only when asked for by name. probeWebGPU touches
 * nothing, agrees with the child-process probe, and without a Vulkan driver it says why and falls
 * back to Dawn's OpenGL ES backend.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { hardwareAdapterPossible, isHardwareAdapter } from '../src/platform/webgpu/environment';
import { probeWebGPU } from '../src/platform/webgpu/probe';
import { registerWebGPUBackend } from '../src/platform/webgpu/register';
import type { WebGPUProbe } from '../src/platform/webgpu/types';
import { webgpuGate } from './webgpu_gate';

// Adapter infos: the first two as Dawn reported them here; the others illustrate Dawn's fields
// (vendor and architecture names from its GPU tables, description from the driver).
const lavapipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1', isFallbackAdapter: true };
const llvmpipeGLES = { vendor: '', architecture: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version OpenGL ES 3.2 Mesa 25.0.7-2~bpo12+1' };
const swiftshader = { vendor: 'google', architecture: 'swiftshader', device: 'subzero', description: 'SwiftShader Device (Subzero)' };
const nvidia = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' };
const radv = { vendor: 'amd', architecture: 'rdna-3', device: '', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31) Mesa 25.0.7' };

test.each([
  ['lavapipe', false, lavapipe],
  ['llvmpipe through OpenGL ES', false, llvmpipeGLES],
  ['SwiftShader', false, swiftshader],
  ['NVIDIA', true, nvidia],
  ['AMD on Mesa RADV', true, radv],
])('isHardwareAdapter(%s) is %s', (_, hardware, info) => {
  expect(isHardwareAdapter(info)).toBe(hardware);
});

test('without a GPU device node Linux can have no hardware adapter, and Dawn is not asked', () => {
  expect(hardwareAdapterPossible('linux', () => [])).toEqual({
    possible: false,
    reason: expect.stringMatching(/^no GPU device node .*used only when asked for by name \(--backend webgpu\)$/),
  });
  expect(hardwareAdapterPossible('linux', () => ['/dev/dri/renderD128'])).toEqual({ possible: true });
  expect(hardwareAdapterPossible('darwin', () => [])).toEqual({ possible: true });
});

// Declared before the gate, so it runs before the gate registers webgpu.
let probe: WebGPUProbe;
beforeAll(async () => {
  probe = await probeWebGPU();
  expect(tf.findBackendFactory('webgpu')).toBeNull(); // the probe registered nothing
  expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
});
const gate = webgpuGate(__filename);

test('the probe is consistent: an adapter with its limits, or a reason; and the child process agrees', () => {
  if (probe.available) {
    expect(probe.adapter).toBeDefined();
    expect(probe.limits!.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    if (probe.adapter!.isSoftware) expect(probe.mesaVersion ?? '').toMatch(/^\d+\.\d+/);
  } else {
    expect(probe.reason).toMatch(/\S{10}/);
  }
  expect(gate.probe.available).toBe(probe.available);
  expect(gate.probe.adapter).toEqual(probe.adapter);
});

gate.gpuTest('a software adapter is refused unless allowSoftware is set', async () => {
  if (!gate.info!.adapter.isSoftware) return; // a real GPU: nothing to refuse
  await expect(registerWebGPUBackend()).rejects.toThrow(/only adapter is software .*asked for by name/);
  expect(tf.getBackend()).toBe('webgpu'); // the refusal left the registered backend alone
});

gate.gpuTest('registering again with the same options keeps the device and the tensors on it', async () => {
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.add(x, 1); // [3], on the GPU
  await expect(registerWebGPUBackend({ allowSoftware: true })).resolves.toBe(gate.info);
  expect(Array.from(await y.data())).toEqual([2, 3, 4]);
  tf.dispose([x, y]);
});

test('without a Vulkan driver the probe says why, and Dawn’s OpenGL ES backend stands in', () => {
  const script = `
    const { probeWebGPU } = require('./src/platform/webgpu/probe');
    Promise.all([probeWebGPU({ dawnBackend: 'vulkan' }), probeWebGPU()])
      .then((r) => process.stdout.write(JSON.stringify(r)));`;
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' },
    encoding: 'utf8',
    timeout: 60000,
  });
  expect(child.status).toBe(0);
  const [vulkanOnly, withFallback] = JSON.parse(child.stdout) as WebGPUProbe[];
  expect(vulkanOnly.available).toBe(false);
  expect(vulkanOnly.reason).toMatch(/no WebGPU adapter \(tried: vulkan: no adapter\)/);
  if (probe.adapter?.vendor === 'mesa') {
    // Mesa is installed, so EGL + llvmpipe are there for the OpenGL ES backend.
    expect(withFallback.available).toBe(true);
    expect(withFallback.adapter).toMatchObject({ dawnBackend: 'opengles', featureLevel: 'compatibility', isSoftware: true });
  }
});
