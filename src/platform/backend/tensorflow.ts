/**
 * The 'tensorflow' backend through @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node (CPU).
 * tfjs-node-gpu falls back to the CPU silently when libcudart/libcudnn are missing, so the GPU
 * candidate checks that a CUDA device is actually in use. Both are required lazily: a missing or
 * broken native package never breaks the cpu and wasm paths.
 */
import * as tf from '@tensorflow/tfjs';
import { packageVersion } from '../system';
import { errorMessage, firstLine } from '../text';
import { activate } from './activate';
import { TFJS_NODE, TFJS_NODE_GPU } from './names';
import type { LoadOutcome } from './types';

/** Why a `require` of a tfjs native package failed, in a person's terms. */
export type RequireFailure = 'not-installed' | 'binding-missing' | 'load-failed';

/**
 * Classifies the error thrown by require(pkg) for the tfjs-node packages: the package itself
 * absent, its native addon (tfjs_binding.node) absent because the install script could not
 * download, or the addon present but failing to load (libtensorflow, glibc, ...).
 */
export function classifyRequireError(pkg: string, e: unknown): RequireFailure {
  const msg = errorMessage(e);
  const code = (e as { code?: string } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && msg.includes(`Cannot find module '${pkg}'`)) return 'not-installed';
  if (/tfjs_binding\.node/.test(msg) && /can ?not be found|Cannot find module|no such file/i.test(msg)) {
    return 'binding-missing';
  }
  return 'load-failed';
}

/** The install fix for the tfjs-node packages, including the offline/mirror route. */
export function nodeInstallFix(pkg: string, failure: RequireFailure): string {
  const mirror =
    `behind a firewall, mirror the two files its install script downloads (libtensorflow 2.9.1 and ` +
    `the prebuilt addon) and run: TFJS_NODE_CDN_STORAGE=https://mirror/ ` +
    `npm_config_tfjs_binding_binary_host_mirror=https://mirror/tf-builds/pre-built-binary ` +
    `npm rebuild ${pkg} (or put their URLs in node_modules/${pkg}/scripts/custom-binary.json: ` +
    `{"tf-lib": URL, "addon": {"host", "remote_path", "package_name"}}); README "GPU" has the URLs`;
  const gpu = pkg === TFJS_NODE_GPU ? ' It needs CUDA 11.2 and cuDNN 8.1 (libtensorflow 2.9.1) to use the GPU.' : '';
  if (failure === 'not-installed') return `npm install ${pkg}; ${mirror}.${gpu}`;
  if (failure === 'binding-missing') {
    return `its native addon was never built/downloaded (the install script needs network): ${mirror}.${gpu}`;
  }
  return `reinstall it (npm rebuild ${pkg}); if libtensorflow itself fails to load, check glibc >= 2.27 ` +
    `and \`ldd node_modules/${pkg}/lib/napi-v*/tfjs_binding.node\`.${gpu}`;
}

/** Fix for tfjs-node-gpu loaded without a CUDA device. */
export const CUDA_FIX =
  'libtensorflow 2.9.1 (tfjs-node-gpu 4.22) needs exactly CUDA 11.2 (libcudart.so.11.0) and cuDNN 8.1 ' +
  '(libcudnn.so.8) on the library path (ldconfig or LD_LIBRARY_PATH), an NVIDIA driver >= 450.80.02, ' +
  'and a visible GPU (nvidia-smi). Run `npm run doctor` to see which is missing.';

interface NodeBackendFlags {
  isUsingGpuDevice?: boolean;
  isGPUPackage?: boolean;
}

type Required = { version: string } | { error: unknown };
const required: { gpu?: Required; cpu?: Required } = {};

/** require()s a tfjs-node package once per process; it registers and activates 'tensorflow'. */
function requireNodePackage(which: 'gpu' | 'cpu'): Required {
  const cached = required[which];
  if (cached) return cached;
  const pkg = which === 'gpu' ? TFJS_NODE_GPU : TFJS_NODE;
  let result: Required;
  try {
    require(pkg);
    result = { version: packageVersion(pkg) };
  } catch (e) {
    result = { error: e };
  }
  required[which] = result;
  return result;
}

function requireFailure(pkg: string, error: unknown): LoadOutcome {
  const failure = classifyRequireError(pkg, error);
  const reason = failure === 'not-installed' ? 'not installed' : `${failure}: ${firstLine(errorMessage(error))}`;
  return { ok: false, package: pkg, reason, fix: nodeInstallFix(pkg, failure) };
}

function tensorflowFlags(): NodeBackendFlags {
  return (tf.engine().findBackend('tensorflow') ?? {}) as NodeBackendFlags;
}

/** Both modes need CUDA in use: a request for 'tensorflow' then tries tensorflow-cpu, and says so. */
export async function loadTensorflowGpu(): Promise<LoadOutcome> {
  const pkg = TFJS_NODE_GPU;
  const loaded = requireNodePackage('gpu');
  if ('error' in loaded) return requireFailure(pkg, loaded.error);
  if (tensorflowFlags().isUsingGpuDevice !== true) {
    // Loaded, but TensorFlow found no usable CUDA device: it would run on the CPU.
    return {
      ok: false,
      package: pkg,
      reason: 'loaded, but TensorFlow registered no CUDA device (it would run on the CPU)',
      fix: CUDA_FIX,
    };
  }
  const act = await activate('tensorflow');
  if (!act.ok) return { ok: false, package: pkg, reason: act.reason, fix: nodeInstallFix(pkg, 'load-failed') };
  return { ok: true, package: pkg, version: loaded.version, details: { cudaInUse: true, gpuPackage: true } };
}

export async function loadTensorflowCpu(): Promise<LoadOutcome> {
  // If tfjs-node-gpu already loaded (without CUDA), it IS TensorFlow on the CPU: loading tfjs-node
  // as well would put a second libtensorflow into the process.
  const gpu = required.gpu;
  let pkg = TFJS_NODE;
  let version: string;
  let note: string | undefined;
  if (gpu && 'version' in gpu) {
    pkg = TFJS_NODE_GPU;
    version = gpu.version;
    note = 'tfjs-node-gpu without a CUDA device: TensorFlow on the CPU';
  } else {
    const loaded = requireNodePackage('cpu');
    if ('error' in loaded) return requireFailure(pkg, loaded.error);
    version = loaded.version;
  }
  const act = await activate('tensorflow');
  if (!act.ok) return { ok: false, package: pkg, reason: act.reason, fix: nodeInstallFix(pkg, 'load-failed') };
  const flags = tensorflowFlags();
  return {
    ok: true,
    package: pkg,
    version,
    note,
    details: { cudaInUse: flags.isUsingGpuDevice === true, gpuPackage: flags.isGPUPackage === true },
  };
}
