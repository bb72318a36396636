/**
 * Backend selection: one module that every script, benchmark and test helper uses.
 *
 * Order when nothing is asked for ('auto'):
 *   1. tensorflow via @tensorflow/tfjs-node-gpu, only when a CUDA device is actually in use
 *      (tfjs-node-gpu falls back to the CPU silently when libcudart/libcudnn are missing);
 *   2. webgpu, only on a hardware adapter (a software one, Mesa lavapipe, only when asked by name);
 *   3. tensorflow on the CPU: @tensorflow/tfjs-node, or tfjs-node-gpu already loaded without CUDA;
 *   4. wasm (@tensorflow/tfjs-backend-wasm, its .wasm files ship inside the npm package);
 *   5. cpu (pure JavaScript, always there).
 * A backend asked for by name (`initBackend('wasm')`, env TFJS_RNN_BACKEND, `--backend wasm`) that
 * cannot load is an Error saying why and how to fix it, never a silent fallback. When 'auto' falls
 * back, the returned info lists every candidate tried and why it was skipped.
 *
 * Native and GPU packages are loaded with a lazy require so that a missing or broken one can never
 * break the cpu and wasm paths.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import type { WebGPUInfo, WebGPUProbe } from './webgpu';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

/** Every name `--backend` and TFJS_RNN_BACKEND accept, in the order auto-selection tries them. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** The environment variable that picks a backend when no `--backend` flag is given. */
export const BACKEND_ENV_VAR = 'TFJS_RNN_BACKEND';

/** One step of the selection: a backend reached through one package. */
export type CandidateId = 'tensorflow-gpu' | 'webgpu' | 'tensorflow-cpu' | 'wasm' | 'cpu';

/** The auto-selection order (see the module comment). */
export const AUTO_ORDER: readonly CandidateId[] = ['tensorflow-gpu', 'webgpu', 'tensorflow-cpu', 'wasm', 'cpu'];

/** The candidates a request by name tries, in order. */
export const CANDIDATES_FOR: Readonly<Record<BackendName, readonly CandidateId[]>> = {
  tensorflow: ['tensorflow-gpu', 'tensorflow-cpu'],
  webgpu: ['webgpu'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
export const TFJS_NODE = '@tensorflow/tfjs-node';
export const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';

/** What one candidate did: chosen, or skipped and why. */
export interface BackendAttempt {
  candidate: CandidateId;
  backend: BackendName;
  package: string;
  ok: boolean;
  /** Why it was skipped or failed (the underlying error when there is one). */
  reason?: string;
  /** What a person can do about it. */
  fix?: string;
}

export interface BackendInfo {
  backend: BackendName;
  /** The npm package that provides the backend. */
  package: string;
  /** That package's version. */
  version: string;
  /**
   * Backend-specific facts. tensorflow: cudaInUse, gpuPackage. wasm: simd, threads, threadsCount,
   * threadsNote. webgpu: adapter, limits, mesaVersion, webgpuPackage. Always: tfjs (version).
   */
  details: Record<string, unknown>;
  /** One line for logs and output files. */
  summary: string;
  /** What was asked for: a backend name, or 'auto'. */
  requested: BackendRequest;
  /** Every candidate tried, in order; the last one is the chosen one. */
  attempts: BackendAttempt[];
}

/** A candidate's answer: it is now the active tfjs backend, or it is not and here is why. */
export type LoadOutcome =
  | { ok: true; package: string; version: string; details: Record<string, unknown>; note?: string }
  | { ok: false; package: string; reason: string; fix?: string };

/**
 * Tries to make a candidate the active tfjs backend. `mode` is 'auto' during auto-selection
 * (stricter: tensorflow-gpu needs CUDA in use, webgpu a hardware adapter) and 'requested' when the
 * user asked for this backend by name.
 */
export type CandidateLoader = (mode: 'auto' | 'requested') => Promise<LoadOutcome>;

export interface InitBackendOptions {
  /** Replaces the real loaders (tests). Missing entries use the real ones. */
  loaders?: Partial<Record<CandidateId, CandidateLoader>>;
  /** Environment to read TFJS_RNN_BACKEND from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * Parses a backend name as given on the command line or in the environment (case-insensitive).
 * Throws naming the valid names when it is not one of them.
 */
export function parseBackendName(name: string): BackendRequest {
  const n = name.trim().toLowerCase();
  if (n === 'auto' || (BACKEND_NAMES as readonly string[]).includes(n)) return n as BackendRequest;
  throw new Error(
    `unknown backend '${name}': expected one of ${BACKEND_NAMES.join(', ')}, or auto`,
  );
}

/** The request in force: an explicit one, else TFJS_RNN_BACKEND, else 'auto'. */
export function resolveBackendRequest(request?: string, env: NodeJS.ProcessEnv = process.env): BackendRequest {
  if (request !== undefined && request.trim() !== '') return parseBackendName(request);
  const fromEnv = env[BACKEND_ENV_VAR];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    try {
      return parseBackendName(fromEnv);
    } catch (e) {
      throw new Error(`${BACKEND_ENV_VAR}: ${errorMessage(e)}`);
    }
  }
  return 'auto';
}

export function backendOf(candidate: CandidateId): BackendName {
  return candidate === 'tensorflow-gpu' || candidate === 'tensorflow-cpu' ? 'tensorflow' : candidate;
}

// ---------------------------------------------------------------------------------------------
// Selection

/**
 * Selects, initialises and describes the backend. `request` is a backend name or 'auto'; when
 * undefined, env TFJS_RNN_BACKEND decides, else 'auto'. A backend asked for by name that cannot
 * run throws an Error with the reason and the fix.
 */
export async function initBackend(request?: string, options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = resolveBackendRequest(request, options.env);
  const loaders: Record<CandidateId, CandidateLoader> = { ...realLoaders(), ...options.loaders };
  const order = requested === 'auto' ? AUTO_ORDER : CANDIDATES_FOR[requested];
  const mode = requested === 'auto' ? 'auto' : 'requested';
  const attempts: BackendAttempt[] = [];
  for (const candidate of order) {
    const backend = backendOf(candidate);
    let outcome: LoadOutcome;
    try {
      outcome = await loaders[candidate](mode);
    } catch (e) {
      outcome = { ok: false, package: packageOf(candidate), reason: errorMessage(e) };
    }
    if (outcome.ok) {
      attempts.push({ candidate, backend, package: outcome.package, ok: true, reason: outcome.note });
      const details = { tfjs: tf.version.tfjs, ...outcome.details };
      const info: BackendInfo = {
        backend, package: outcome.package, version: outcome.version, details, summary: '', requested, attempts,
      };
      info.summary = summarizeBackend(info);
      return info;
    }
    attempts.push({ candidate, backend, package: outcome.package, ok: false, reason: outcome.reason, fix: outcome.fix });
  }
  // Only a request by name gets here: 'auto' ends with cpu, which always loads.
  const why = attempts
    .map((a) => `  - ${a.candidate} (${a.package}): ${a.reason}${a.fix ? `\n    fix: ${a.fix}` : ''}`)
    .join('\n');
  throw new Error(
    `backend '${requested}' was requested but cannot run here (no fallback when a backend is asked ` +
      `for by name):\n${why}\nRun \`npm run doctor\` for a full report, or choose another with ` +
      `--backend ${BACKEND_NAMES.join('|')}|auto.`,
  );
}

/** The one-line description printed by scripts and stored in their output files. */
export function summarizeBackend(info: Omit<BackendInfo, 'summary'>): string {
  const d = info.details;
  let facts = '';
  if (info.backend === 'tensorflow') {
    facts = d.cudaInUse === true ? 'CUDA GPU in use' : 'CPU (CUDA not in use)';
  } else if (info.backend === 'wasm') {
    facts = `SIMD ${d.simd ? 'on' : 'off'}, threads ${d.threads ? `on (${String(d.threadsCount)})` : 'off'}`;
  } else if (info.backend === 'webgpu') {
    const a = d.adapter as { description?: string; device?: string; vendor?: string; isSoftware?: boolean } | undefined;
    facts = a
      ? `${a.description || a.device || a.vendor || 'adapter'} (${a.isSoftware ? 'software' : 'hardware'})`
      : 'adapter unknown';
  } else {
    facts = 'plain JavaScript';
  }
  const how = info.requested === 'auto' ? 'auto' : `requested '${info.requested}'`;
  const skipped = info.attempts.filter((a) => !a.ok);
  const skippedText = skipped.length > 0
    ? `; skipped ${skipped.map((a) => `${a.candidate}: ${firstLine(a.reason ?? '', 70)}`).join('; ')}`
    : '';
  return `backend ${info.backend} (${info.package} ${info.version}; ${facts}) [${how}${skippedText}]`;
}

// ---------------------------------------------------------------------------------------------
// Missing kernels

/** "Kernel 'X' not registered for backend 'Y'", with the kernel and backend as fields. */
export class MissingKernelError extends Error {
  readonly kernel: string;
  readonly backend: string;
  constructor(kernel: string, backend: string, cause?: unknown) {
    super(
      `Kernel '${kernel}' not registered for backend '${backend}': tfjs ${tf.version.tfjs} has no ` +
        `'${backend}' implementation of ${kernel}. Expected every op of this path to exist on ` +
        `'${backend}'; run it with --backend cpu (every kernel exists there), or avoid the op.`,
    );
    this.name = 'MissingKernelError';
    this.kernel = kernel;
    this.backend = backend;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

const KERNEL_NOT_REGISTERED = /Kernel '([^']+)' not registered for backend '([^']+)'/;

/** The MissingKernelError an error stands for, or null when it is about something else. */
export function asMissingKernelError(e: unknown): MissingKernelError | null {
  if (e instanceof MissingKernelError) return e;
  const m = KERNEL_NOT_REGISTERED.exec(errorMessage(e));
  return m ? new MissingKernelError(m[1], m[2], e) : null;
}

/** Runs fn; a missing-kernel error comes out as a MissingKernelError, anything else unchanged. */
export async function withKernelCheck<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asMissingKernelError(e) ?? e;
  }
}

/** The kernels of `kernelNames` that `backend` (default: the active one) does not register. */
export function missingKernels(kernelNames: readonly string[], backend: string = tf.getBackend()): string[] {
  return kernelNames.filter((k) => tf.getKernel(k, backend) === undefined);
}

// ---------------------------------------------------------------------------------------------
// The real loaders

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

interface NodeState {
  gpu?: { version: string } | { error: unknown };
  cpu?: { version: string } | { error: unknown };
}
const nodeState: NodeState = {};

function packageVersion(pkg: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const file = path.join(dir, pkg, 'package.json');
    if (fs.existsSync(file)) {
      try {
        return String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown');
      } catch {
        return 'unknown';
      }
    }
  }
  return 'unknown';
}

function packageOf(candidate: CandidateId): string {
  switch (candidate) {
    case 'tensorflow-gpu': return TFJS_NODE_GPU;
    case 'tensorflow-cpu': return TFJS_NODE;
    case 'webgpu': return '@tensorflow/tfjs-backend-webgpu';
    case 'wasm': return TFJS_WASM;
    case 'cpu': return '@tensorflow/tfjs-backend-cpu';
  }
}

/** require()s a tfjs-node package once per process; it registers and activates 'tensorflow'. */
function requireNodePackage(which: 'gpu' | 'cpu'): { version: string } | { error: unknown } {
  const cached = nodeState[which];
  if (cached) return cached;
  const pkg = which === 'gpu' ? TFJS_NODE_GPU : TFJS_NODE;
  let result: { version: string } | { error: unknown };
  try {
    require(pkg);
    result = { version: packageVersion(pkg) };
  } catch (e) {
    result = { error: e };
  }
  nodeState[which] = result;
  return result;
}

function tensorflowFlags(): NodeBackendFlags {
  return (tf.engine().findBackend('tensorflow') ?? {}) as NodeBackendFlags;
}

async function activate(name: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { ok, warnings } = await captureWarnings(() => tf.setBackend(name));
  if (ok && tf.getBackend() === name) {
    for (const w of warnings) console.warn(w); // not a failure: pass them on
    await tf.ready();
    return { ok: true };
  }
  const reason = warnings.length > 0
    ? warnings.map((w) => firstLine(w, 400)).join(' | ')
    : `tf.setBackend('${name}') returned false`;
  return { ok: false, reason };
}

/**
 * tfjs reports a failed backend initialisation only through console.warn; capture those lines so
 * the reason ends up in our Error instead of scrolling past.
 */
async function captureWarnings<T>(fn: () => Promise<T>): Promise<{ ok: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  try {
    return { ok: await fn(), warnings };
  } finally {
    console.warn = original;
  }
}

/** Both modes need CUDA in use: a request for 'tensorflow' then tries tensorflow-cpu, and says so. */
async function loadTensorflowGpu(): Promise<LoadOutcome> {
  const pkg = TFJS_NODE_GPU;
  const loaded = requireNodePackage('gpu');
  if ('error' in loaded) {
    const failure = classifyRequireError(pkg, loaded.error);
    const reason = failure === 'not-installed' ? 'not installed' : `${failure}: ${firstLine(errorMessage(loaded.error), 300)}`;
    return { ok: false, package: pkg, reason, fix: nodeInstallFix(pkg, failure) };
  }
  const flags = tensorflowFlags();
  if (flags.isUsingGpuDevice !== true) {
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

async function loadTensorflowCpu(): Promise<LoadOutcome> {
  // If tfjs-node-gpu already loaded (without CUDA), it IS TensorFlow on the CPU: loading tfjs-node
  // as well would put a second libtensorflow into the process.
  const gpu = nodeState.gpu;
  let pkg = TFJS_NODE;
  let version: string;
  let note: string | undefined;
  if (gpu && 'version' in gpu) {
    pkg = TFJS_NODE_GPU;
    version = gpu.version;
    note = 'tfjs-node-gpu without a CUDA device: TensorFlow on the CPU';
  } else {
    const loaded = requireNodePackage('cpu');
    if ('error' in loaded) {
      const failure = classifyRequireError(pkg, loaded.error);
      const reason = failure === 'not-installed' ? 'not installed' : `${failure}: ${firstLine(errorMessage(loaded.error), 300)}`;
      return { ok: false, package: pkg, reason, fix: nodeInstallFix(pkg, failure) };
    }
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

type WebGPUModule = {
  probeWebGPU(): Promise<WebGPUProbe>;
  registerWebGPUBackend(opts?: { allowSoftware?: boolean }): Promise<WebGPUInfo>;
};

function loadWebGPUModule(): WebGPUModule {
  // Lazy: a missing or broken Dawn must never break the cpu and wasm paths.
  return require('./webgpu') as WebGPUModule;
}

async function loadWebGPU(mode: 'auto' | 'requested'): Promise<LoadOutcome> {
  const pkg = '@tensorflow/tfjs-backend-webgpu';
  let mod: WebGPUModule;
  try {
    mod = loadWebGPUModule();
  } catch (e) {
    return { ok: false, package: pkg, reason: `the webgpu support module did not load: ${errorMessage(e)}` };
  }
  const probe = await mod.probeWebGPU();
  if (!probe.available) {
    return {
      ok: false,
      package: pkg,
      reason: probe.reason ?? 'no WebGPU adapter',
      fix: 'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 (Mesa >= 25) for a software ' +
        'adapter, or the GPU vendor\'s Vulkan driver; see `npm run doctor`',
    };
  }
  if (mode === 'auto' && probe.adapter?.isSoftware) {
    const a = probe.adapter;
    return {
      ok: false,
      package: pkg,
      reason: `only a software adapter (${probe.mesaVersion ? `Mesa ${probe.mesaVersion}` : a.description || a.device}), ` +
        'used only when asked for by name (--backend webgpu)',
    };
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
  const pkg = '@tensorflow/tfjs-backend-cpu';
  const act = await activate('cpu');
  if (!act.ok) return { ok: false, package: pkg, reason: act.reason };
  // tfjs-backend-cpu prints an "install tfjs-node" banner on first use; our summary and
  // `npm run doctor` already say which faster backends exist and how to get them.
  const cpu = tf.backend() as unknown as { firstUse?: boolean };
  if (cpu.firstUse === true) cpu.firstUse = false;
  return { ok: true, package: pkg, version: packageVersion(pkg), details: {} };
}

function realLoaders(): Record<CandidateId, CandidateLoader> {
  return {
    'tensorflow-gpu': () => loadTensorflowGpu(),
    webgpu: loadWebGPU,
    'tensorflow-cpu': () => loadTensorflowCpu(),
    wasm: () => loadWasm(),
    cpu: () => loadCpu(),
  };
}

// ---------------------------------------------------------------------------------------------
// Small utilities

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

function firstLine(s: string, max: number): string {
  const line = s.split('\n')[0];
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
