/**
 * The real candidate loaders: webgpu, wasm, cpu, and the tensorflow ones from tensorflow.ts.
 * The webgpu modules are required lazily: a missing or broken Dawn must never break the cpu and
 * wasm paths.
 */
import * as tf from '@tensorflow/tfjs';
import * as path from 'path';
import { packageVersion } from '../system';
import { errorMessage } from '../text';
import { hardwareAdapterPossible } from '../webgpu/environment';
import type { ChildProbe } from '../webgpu/probe_child';
import type { WebGPUInfo, WebGPUProbe } from '../webgpu/types';
import { activate } from './activate';
import { TFJS_CPU, TFJS_WASM, TFJS_WEBGPU } from './names';
import { registerWasmKernels } from './wasm_kernels';
import { loadTensorflowCpu, loadTensorflowGpu } from './tensorflow';
import type { CandidateId, CandidateLoader, LoadOutcome } from './types';

const WEBGPU_FIX =
  'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 (Mesa >= 25) for a software ' +
  'adapter, or the GPU vendor\'s Vulkan driver; see `npm run doctor`';

interface WebGPUModules {
  probeWebGPU(): Promise<WebGPUProbe>;
  probeWebGPUInChild(): Promise<ChildProbe>;
  registerWebGPUBackend(opts?: { allowSoftware?: boolean }): Promise<WebGPUInfo>;
}

function loadWebGPUModules(): WebGPUModules {
  return {
    ...(require('../webgpu/probe') as Pick<WebGPUModules, 'probeWebGPU'>),
    ...(require('../webgpu/probe_child') as Pick<WebGPUModules, 'probeWebGPUInChild'>),
    ...(require('../webgpu/register') as Pick<WebGPUModules, 'registerWebGPUBackend'>),
  };
}

/**
 * What auto-selection knows before registering: a hardware adapter, or why not. Dawn is loaded
 * only where a GPU device exists, and then in a child process, so that a machine without a GPU
 * never sees Dawn's warnings.
 */
async function autoProbe(mod: WebGPUModules): Promise<{ ok: true } | { ok: false; reason: string; fix?: string }> {
  const possible = hardwareAdapterPossible();
  if (!possible.possible) return { ok: false, reason: possible.reason };
  const { probe, tried } = await mod.probeWebGPUInChild();
  if (!probe.available) {
    return !probe.adapter && tried.length > 0
      ? { ok: false, reason: `no WebGPU adapter (tried: ${tried.join('; ')})`, fix: probe.reason }
      : { ok: false, reason: probe.reason ?? 'no WebGPU adapter', fix: WEBGPU_FIX };
  }
  const a = probe.adapter;
  if (a?.isSoftware) {
    return {
      ok: false,
      reason: `only a software adapter (${probe.mesaVersion ? `Mesa ${probe.mesaVersion}` : a.description || a.device}), ` +
        'used only when asked for by name (--backend webgpu)',
    };
  }
  return { ok: true };
}

async function loadWebGPU(mode: 'auto' | 'requested'): Promise<LoadOutcome> {
  const pkg = TFJS_WEBGPU;
  let mod: WebGPUModules;
  try {
    mod = loadWebGPUModules();
  } catch (e) {
    return { ok: false, package: pkg, reason: `the webgpu support module did not load: ${errorMessage(e)}` };
  }
  if (mode === 'auto') {
    const verdict = await autoProbe(mod);
    if (!verdict.ok) return { ok: false, package: pkg, reason: verdict.reason, fix: verdict.fix };
  } else {
    const probe = await mod.probeWebGPU();
    if (!probe.available) return { ok: false, package: pkg, reason: probe.reason ?? 'no WebGPU adapter', fix: WEBGPU_FIX };
  }
  let info: WebGPUInfo;
  try {
    info = await mod.registerWebGPUBackend({ allowSoftware: mode === 'requested' });
  } catch (e) {
    return { ok: false, package: pkg, reason: errorMessage(e) };
  }
  if (tf.getBackend() !== 'webgpu') {
    const act = await activate('webgpu');
    if (!act.ok) return { ok: false, package: pkg, reason: act.reason };
  }
  return {
    ok: true,
    package: pkg,
    version: info.tfjsBackendWebGPUVersion,
    details: {
      adapter: info.adapter,
      limits: info.limits,
      mesaVersion: info.mesaVersion,
      webgpuPackage: info.webgpuPackageVersion,
      webgpuSummary: info.summary,
    },
  };
}

/** Why threads are off under Node (see the README's "wasm threads" paragraph). */
export const WASM_THREADS_NOTE =
  'tfjs-backend-wasm 4.22 turns threads off under Node (WASM_HAS_MULTITHREAD_SUPPORT is false when ' +
  'IS_NODE; tfjs#3830): its threaded build starts workers from Blob URLs, which Node cannot run';

let wasmPathsSet = false;

async function loadWasm(): Promise<LoadOutcome> {
  const pkg = TFJS_WASM;
  let wasm: { setWasmPaths(prefix: string): void; getThreadsCount(): number };
  try {
    wasm = require(pkg) as typeof wasm;
  } catch (e) {
    return { ok: false, package: pkg, reason: errorMessage(e), fix: `npm install ${pkg}` };
  }
  registerWasmKernels(); // what tfjs-wasm lacks for training (the Embedding gradient): wasm_kernels.ts
  if (!wasmPathsSet) {
    // Point the loader at the .wasm files inside the installed package: the default (relative to
    // the bundle) breaks when our code is bundled or run from another directory.
    try {
      const dir = path.dirname(require.resolve(`${pkg}/dist/tfjs-backend-wasm.wasm`));
      wasm.setWasmPaths(dir + path.sep);
      wasmPathsSet = true;
    } catch {
      // Already initialised, or the files are elsewhere: keep the package's own default.
    }
  }
  const act = await activate('wasm');
  if (!act.ok) {
    return {
      ok: false,
      package: pkg,
      reason: act.reason,
      fix: `check that node_modules/${pkg}/dist/*.wasm exist (reinstall ${pkg})`,
    };
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  let threadsCount = 1;
  try {
    threadsCount = wasm.getThreadsCount();
  } catch {
    // not initialised: leave 1
  }
  return {
    ok: true,
    package: pkg,
    version: packageVersion(pkg),
    details: { simd, threads, threadsCount, ...(threads ? {} : { threadsNote: WASM_THREADS_NOTE }) },
  };
}

async function loadCpu(): Promise<LoadOutcome> {
  const pkg = TFJS_CPU;
  const act = await activate('cpu');
  if (!act.ok) return { ok: false, package: pkg, reason: act.reason };
  silenceCpuBanner();
  return { ok: true, package: pkg, version: packageVersion(pkg), details: {} };
}

/**
 * tfjs-backend-cpu prints an "install tfjs-node" banner on first use; our summary and
 * `npm run doctor` already say which faster backends exist and how to get them.
 */
function silenceCpuBanner(): void {
  const cpu = tf.engine().findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && cpu.firstUse === true) cpu.firstUse = false;
}

export function realLoaders(): Record<CandidateId, CandidateLoader> {
  return {
    'tensorflow-gpu': () => loadTensorflowGpu(),
    webgpu: loadWebGPU,
    'tensorflow-cpu': () => loadTensorflowCpu(),
    wasm: () => loadWasm(),
    cpu: () => loadCpu(),
  };
}
