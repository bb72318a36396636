/**
 * Collecting the doctor's facts: the only layer that touches the machine, and only through the
 * probes it is given (realProbes in probes.ts; tests pass fakes), each run once.
 */
import { TFJS_NODE, TFJS_NODE_GPU } from '../backend/names';
import { findLibrary } from '../system';
import { errorMessage } from '../text';
import { parseNvidiaSmi, parseTfLog } from './parse';
import type { BackendCheckFact, DoctorFacts, DoctorProbes, NodePackageFact, NvidiaSmiFact, PackageFact } from './types';

/**
 * Libraries libtensorflow 2.9.1 dlopens before it registers a GPU. Primary: the CUDA runtime and
 * cuDNN, the two that decide whether TensorFlow can use the GPU at all.
 */
export const CUDA_LIBRARIES: { soname: string; primary: boolean }[] = [
  { soname: 'libcudart.so.11.0', primary: true },
  { soname: 'libcudnn.so.8', primary: true },
  { soname: 'libcublas.so.11', primary: false },
  { soname: 'libcublasLt.so.11', primary: false },
  { soname: 'libcufft.so.10', primary: false },
  { soname: 'libcurand.so.10', primary: false },
  { soname: 'libcusolver.so.11', primary: false },
  { soname: 'libcusparse.so.11', primary: false },
];

export const TFJS_PACKAGES: { name: string; optional: boolean }[] = [
  { name: '@tensorflow/tfjs', optional: false },
  { name: '@tensorflow/tfjs-core', optional: false },
  { name: '@tensorflow/tfjs-backend-cpu', optional: false },
  { name: '@tensorflow/tfjs-backend-wasm', optional: false },
  { name: '@tensorflow/tfjs-backend-webgpu', optional: false },
  { name: 'webgpu', optional: true }, // an optional peer: the webgpu backend loads it when asked for
  { name: TFJS_NODE_GPU, optional: true },
  { name: TFJS_NODE, optional: true },
];

const ENV_KEYS = [
  'TFJS_RNN_BACKEND', 'LD_LIBRARY_PATH', 'CUDA_VISIBLE_DEVICES', 'CUDA_CACHE_MAXSIZE', 'CUDA_CACHE_PATH',
  'TFJS_NODE_CDN_STORAGE', 'TFJS_NODE_BASE_URI',
];

/** Gathers every fact, running each probe once. */
export async function collectFacts(probes: DoctorProbes): Promise<DoctorFacts> {
  const packages: PackageFact[] = TFJS_PACKAGES.map(({ name, optional }) => {
    const info = probes.packageInfo(name);
    return { name, optional, version: info?.version, dir: info?.dir };
  });
  const nodePackage = async (pkg: string): Promise<NodePackageFact> => {
    const info = probes.packageInfo(pkg);
    if (!info) return { package: pkg, installed: false };
    const fact: NodePackageFact = { package: pkg, installed: true, version: info.version, ...probes.nodeBinaries(info.dir) };
    const r = await probes.loadNodePackage(pkg);
    const ok = r.opValues !== undefined && [19, 22, 43, 50].every((v, i) => Math.abs((r.opValues ?? [])[i] - v) < 1e-4);
    fact.load = {
      loaded: r.loaded,
      error: r.error,
      errorCode: r.errorCode,
      isUsingGpuDevice: r.isUsingGpuDevice,
      opOk: r.loaded ? ok : undefined,
      opMs: r.opMs,
      timedOut: r.timedOut,
      log: parseTfLog(r.stderr),
    };
    return fact;
  };
  // The child processes first: they do not touch this process's tfjs.
  const tfjsNodeGpu = await nodePackage(TFJS_NODE_GPU);
  const tfjsNode = await nodePackage(TFJS_NODE);
  const ldconfigText = probes.ldconfig();
  const cudaLibraries = CUDA_LIBRARIES.map(({ soname, primary }) =>
    findLibrary(soname, ldconfigText, probes.env.LD_LIBRARY_PATH, probes.listDir, primary));
  const smi = probes.nvidiaSmi();
  const nvidiaSmi: NvidiaSmiFact = { found: smi.found, ok: false, gpus: [], error: smi.error };
  if (smi.stdout !== undefined) {
    nvidiaSmi.gpus = parseNvidiaSmi(smi.stdout);
    nvidiaSmi.ok = nvidiaSmi.gpus.length > 0;
    if (!nvidiaSmi.ok && !nvidiaSmi.error) nvidiaSmi.error = 'nvidia-smi listed no GPU';
  }
  let webgpu: DoctorFacts['webgpu'];
  try {
    webgpu = await probes.probeWebGPU();
  } catch (e) {
    webgpu = { moduleError: errorMessage(e) };
  }
  const backends: BackendCheckFact[] = [];
  for (const b of ['cpu', 'wasm', 'webgpu'] as const) {
    if (b === 'webgpu' && !('available' in webgpu && webgpu.available)) {
      backends.push({ backend: b, ok: false, error: 'moduleError' in webgpu ? webgpu.moduleError : webgpu.reason ?? 'no adapter' });
      continue;
    }
    backends.push(await probes.checkBackend(b));
  }
  const env: Record<string, string | undefined> = {};
  for (const k of ENV_KEYS) env[k] = probes.env[k];
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    packages, backends, tfjsNodeGpu, tfjsNode, cudaLibraries, nvidiaSmi, webgpu, gpuDeviceNodes: probes.gpuDeviceNodes(), env,
    runtimeDir: probes.runtimeDirChange?.() ?? null,
  };
}
