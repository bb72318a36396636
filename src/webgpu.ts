/**
 * WebGPU through Dawn (the `webgpu` npm package ships a prebuilt dawn.node that needs only
 * libvulkan.so.1 and a Vulkan driver at run time).
 *
 * Three things tfjs 4.22 does not do for us, and this module does:
 * 1. Limits. tfjs's own factory requests no maxStorageBuffersPerShaderStage, so the device gets the
 *    WebGPU default of 8 and any kernel binding more (tf.addN of 8 tensors: 8 inputs + 1 output)
 *    gives WRONG results with only a Dawn message on stderr. We request the adapter's own limits,
 *    and split AddN into chunks that fit the device (tfjs's Concat already splits; AddN does not).
 * 2. Errors. Dawn reports validation errors through the device's `uncapturederror` event; we
 *    collect them and throw at the next sync point (`await t.data()`, the next GPU kernel, or
 *    `assertNoWebGPUErrors()`). `findDawnErrors` recognises what Dawn prints (on stdout) for
 *    devices we did not create (a child process, a CI log).
 * 3. Honesty about the adapter. A software adapter (Mesa lavapipe, `architecture: 'software'`) is
 *    used only when asked for by name; `isHardwareAdapter` is what auto-selection checks.
 * When Vulkan gives no adapter we try Dawn's OpenGL ES backend (EGL surfaceless, compatibility
 * feature level) before giving up.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';

/** Which Dawn backend produced the adapter. */
export type DawnBackend = 'vulkan' | 'opengles';

/** What a WebGPU adapter says about itself (GPUAdapterInfo plus what we derive from it). */
export interface WebGPUAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations: Mesa lavapipe/llvmpipe, SwiftShader, any fallback adapter. */
  isSoftware: boolean;
  isFallbackAdapter: boolean;
  /** 'core' or 'compatibility' (the OpenGL ES backend only offers compatibility). */
  featureLevel: string;
  dawnBackend: DawnBackend;
}

/** The limits that decide whether tfjs's kernels fit on the device. */
export interface WebGPULimits {
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Result of probeWebGPU(): everything `npm run doctor` needs to say about the WebGPU path. */
export interface WebGPUProbe {
  available: boolean;
  /** Why not, and the fix. Set whenever available is false. */
  reason?: string;
  /** libvulkan.so.1 found through `ldconfig -p` or LD_LIBRARY_PATH. */
  vulkanLoader: boolean;
  vulkanLoaderPath?: string;
  /** Vulkan driver manifests (ICD files) found in the standard directories. */
  vulkanDrivers: string[];
  /** Version of the `webgpu` npm package (Dawn's Node bindings), when it loads. */
  webgpuPackageVersion?: string;
  adapter?: WebGPUAdapterSummary;
  /** Mesa version when the adapter is software (from its description, else dpkg-query). */
  mesaVersion?: string;
  /** The adapter's own limits (what we request for the device). */
  limits?: WebGPULimits;
}

/** Result of registerWebGPUBackend(). */
export interface WebGPUInfo {
  adapter: WebGPUAdapterSummary;
  /** The limits the device was actually granted. */
  limits: WebGPULimits;
  mesaVersion?: string;
  webgpuPackageVersion: string;
  tfjsBackendWebGPUVersion: string;
  /** One line for logs: adapter, backend, software or not, storage buffer limit. */
  summary: string;
}

export interface RegisterWebGPUOptions {
  /** Accept a software adapter (lavapipe). Only when the user asked for webgpu by name. */
  allowSoftware?: boolean;
  /** Try Dawn's OpenGL ES backend when Vulkan gives no adapter (default true). */
  allowOpenGLES?: boolean;
  /** Force one Dawn backend instead of Vulkan-then-OpenGL-ES. Env TFJS_RNN_WEBGPU_DAWN_BACKEND. */
  dawnBackend?: DawnBackend;
  /**
   * Request the adapter's own limits (default true). False reproduces tfjs 4.22's own request and
   * exists only so a test can show what the fix fixes.
   */
  requestAdapterLimits?: boolean;
  /** tfjs backend priority (tfjs's own factory uses 3). */
  priority?: number;
}

const TIMEOUT_MS = Number(process.env.TFJS_RNN_WEBGPU_TIMEOUT_MS ?? 20000);

const LIMIT_NAMES: (keyof WebGPULimits)[] = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
];

// ---- Minimal structural types for the parts of the WebGPU API we touch (no DOM lib here). ----

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuErrorEventLike {
  error?: { message?: string; constructor?: { name?: string } };
  preventDefault?: () => void;
}
interface GpuDeviceLike {
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  queue: { onSubmittedWorkDone(): Promise<void> };
  lost: Promise<{ reason?: string; message?: string }>;
  addEventListener(type: 'uncapturederror', listener: (ev: GpuErrorEventLike) => void): void;
  destroy(): void;
  createBuffer(descriptor: { size: number; usage: number }): unknown;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  featureLevel?: string;
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(descriptor?: {
    requiredLimits?: Record<string, number>;
    requiredFeatures?: string[];
  }): Promise<GpuDeviceLike>;
}
interface GpuLike {
  requestAdapter(options?: {
    powerPreference?: string;
    featureLevel?: string;
  }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

// ---- Small utilities that never throw. ----

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    return undefined;
  }
}

/**
 * Node's own require, even under jest: jest replaces `require` and `module.createRequire` with
 * its own loader, which cannot load the ESM-only `webgpu` package; process.getBuiltinModule
 * (Node >= 20.16) hands out the real `module` builtin.
 */
function builtin<T>(id: string): T | undefined {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return getBuiltin ? (getBuiltin(id) as T) : undefined;
}
function makeNodeRequire(): NodeJS.Require {
  return (builtin<{ createRequire: typeof createRequire }>('module')?.createRequire ?? createRequire)(__filename);
}
function realProcess(): NodeJS.Process {
  return builtin<NodeJS.Process>('process') ?? process;
}
const nodeRequire = makeNodeRequire();

function packageVersion(name: string): string | undefined {
  try {
    const pkgPath = nodeRequire.resolve(`${name}/package.json`);
    return (JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

let dawnModule: DawnModule | undefined;
function loadDawn(): DawnModule {
  // `webgpu` is ESM; Node >= 20.19 can require() it. Loaded once per process: a second
  // dlopen of dawn.node in the same process is not something to rely on.
  if (!dawnModule) dawnModule = nodeRequire('webgpu') as DawnModule;
  return dawnModule;
}

const gpuInstances = new Map<DawnBackend, GpuLike>();
function dawnInstance(backend: DawnBackend): GpuLike {
  let gpu = gpuInstances.get(backend);
  if (!gpu) {
    // No display server needed. Set on the real process: under jest `process.env` is a copy
    // that never reaches the native getenv of libEGL.
    const env = realProcess().env;
    if (backend === 'opengles' && env.EGL_PLATFORM === undefined) env.EGL_PLATFORM = 'surfaceless';
    gpu = loadDawn().create(backend === 'opengles' ? ['backend=opengles'] : ['backend=vulkan']);
    gpuInstances.set(backend, gpu);
  }
  return gpu;
}

// ---- Environment facts: the Vulkan loader, drivers, Mesa. ----

/** Where libvulkan.so.1 is, via `ldconfig -p` and LD_LIBRARY_PATH; undefined when absent. */
export function findVulkanLoader(): string | undefined {
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    const candidate = path.join(dir, 'libvulkan.so.1');
    if (fs.existsSync(candidate)) return candidate;
  }
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const out = run(ldconfig, ['-p']);
    if (out === undefined) continue;
    const line = out.split('\n').find((l) => /\blibvulkan\.so\.1\b/.test(l) && /x86-64|AArch64|=>/.test(l));
    return line ? line.split('=>').pop()?.trim() : undefined;
  }
  return undefined;
}

/** Vulkan driver manifests (ICDs) in the loader's standard search directories. */
export function findVulkanDrivers(): string[] {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  const out: string[] = [];
  for (const dir of dirs) {
    try {
      for (const f of fs.readdirSync(dir)) if (f.endsWith('.json')) out.push(path.join(dir, f));
    } catch {
      // directory absent
    }
  }
  return out;
}

/** Installed Mesa Vulkan driver version from dpkg (Debian/Ubuntu), undefined elsewhere. */
export function installedMesaVersion(): string | undefined {
  const v = run('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers'])?.trim();
  return v ? v : undefined;
}

const SOFTWARE_PATTERN = /llvmpipe|lavapipe|softpipe|swiftshader|swrast|software rasterizer/i;

/**
 * True when the adapter is a real GPU. Software adapters (lavapipe reports
 * `architecture: 'software'`; Dawn's OpenGL ES path on llvmpipe reports only its device name)
 * are never auto-selected.
 */
export function isHardwareAdapter(info: {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}): boolean {
  if (info.isFallbackAdapter) return false;
  if ((info.architecture ?? '').toLowerCase() === 'software') return false;
  return !SOFTWARE_PATTERN.test(`${info.device ?? ''} ${info.description ?? ''} ${info.vendor ?? ''}`);
}

function summarizeAdapter(adapter: GpuAdapterLike, dawnBackend: DawnBackend): WebGPUAdapterSummary {
  const info = adapter.info ?? {};
  const raw = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter === true,
  };
  return {
    ...raw,
    isSoftware: !isHardwareAdapter(raw),
    featureLevel: adapter.featureLevel ?? (dawnBackend === 'opengles' ? 'compatibility' : 'core'),
    dawnBackend,
  };
}

function pickLimits(source: Record<string, number>): WebGPULimits {
  const out = {} as WebGPULimits;
  for (const name of LIMIT_NAMES) out[name] = Number(source[name]);
  return out;
}

function mesaVersionOf(adapter: WebGPUAdapterSummary): string | undefined {
  const m = /Mesa ([0-9][^\s)]*)/.exec(`${adapter.description} ${adapter.device}`);
  if (m) return m[1];
  return adapter.vendor.toLowerCase() === 'mesa' || adapter.isSoftware ? installedMesaVersion() : undefined;
}

/** What explainNoAdapter looks at; gatherNoAdapterFacts() reads it from this machine. */
export interface NoAdapterFacts {
  /** What was tried and what each attempt gave, e.g. 'vulkan: no adapter'. */
  tried: string[];
  vulkanLoaderPath?: string;
  vulkanDrivers: string[];
  /** Installed mesa-vulkan-drivers version (dpkg), if any. */
  mesaVersion?: string;
  /** VK_ICD_FILENAMES / VK_DRIVER_FILES when set: they restrict the loader. */
  driverOverrides: Record<string, string>;
  /** /dev/nvidia0 or /proc/driver/nvidia exists. */
  nvidiaGpuPresent: boolean;
}

/** This machine's facts for explainNoAdapter. */
export function gatherNoAdapterFacts(tried: string[]): NoAdapterFacts {
  const env = realProcess().env;
  const driverOverrides: Record<string, string> = {};
  for (const name of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES']) {
    const value = env[name];
    if (value) driverOverrides[name] = value;
  }
  return {
    tried,
    vulkanLoaderPath: findVulkanLoader(),
    vulkanDrivers: findVulkanDrivers(),
    mesaVersion: installedMesaVersion(),
    driverOverrides,
    nvidiaGpuPresent: fs.existsSync('/dev/nvidia0') || fs.existsSync('/proc/driver/nvidia/version'),
  };
}

/** Why Dawn gave no adapter, with the fix for each cause found. Pure: test it with fakes. */
export function explainNoAdapter(facts: NoAdapterFacts): string {
  const lines = [`Dawn returned no WebGPU adapter (tried: ${facts.tried.join('; ')}).`];
  if (!facts.vulkanLoaderPath) {
    lines.push(
      'libvulkan.so.1 (the Vulkan loader) was not found by ldconfig or in LD_LIBRARY_PATH. ' +
        'Fix: install it (Debian/Ubuntu: apt-get install libvulkan1) and a Vulkan driver.',
    );
  }
  if (facts.vulkanDrivers.length === 0) {
    lines.push(
      'No Vulkan driver manifest in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d. Fix: install the ' +
        "GPU vendor's Vulkan driver (NVIDIA: the proprietary driver's Vulkan ICD; AMD/Intel: " +
        'mesa-vulkan-drivers), or Mesa lavapipe (mesa-vulkan-drivers) for a software device.',
    );
  }
  for (const [name, value] of Object.entries(facts.driverOverrides)) {
    lines.push(`${name}=${value} restricts the Vulkan loader to those drivers; unset it to use the installed ones.`);
  }
  if (facts.nvidiaGpuPresent && !facts.vulkanDrivers.some((d) => /nvidia/i.test(path.basename(d)))) {
    lines.push(
      'An NVIDIA GPU is present but no NVIDIA Vulkan driver manifest (nvidia_icd.json) is installed. ' +
        "Fix: install the driver's Vulkan part (Debian: nvidia-vulkan-icd; Ubuntu: libnvidia-gl-<version>); " +
        'in a container, run with NVIDIA_DRIVER_CAPABILITIES=all (compute,utility alone mounts no Vulkan driver).',
    );
  }
  const mesaMajor = Number((facts.mesaVersion ?? '').split('.')[0]);
  if (facts.mesaVersion && mesaMajor < 25) {
    lines.push(
      `Mesa ${facts.mesaVersion} is installed: Dawn rejects its lavapipe (it lacks ` +
        'shaderUniform*ArrayDynamicIndexing). Fix on Debian 12: add ' +
        "'deb http://deb.debian.org/debian bookworm-backports main' to the apt sources, then " +
        'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 (Mesa >= 25); ' +
        'or run .ci/install_vulkan.sh.',
    );
  }
  lines.push('Check the driver with `vulkaninfo --summary` (package vulkan-tools).');
  return lines.join(' ');
}

interface FoundAdapter {
  adapter: GpuAdapterLike;
  summary: WebGPUAdapterSummary;
}

/** First adapter from Vulkan, then (if allowed) from OpenGL ES; `tried` records each attempt. */
async function findAdapter(order: DawnBackend[], tried: string[]): Promise<FoundAdapter | undefined> {
  for (const backend of order) {
    try {
      const gpu = dawnInstance(backend);
      const options = backend === 'opengles'
        ? { featureLevel: 'compatibility', powerPreference: 'high-performance' }
        : { powerPreference: 'high-performance' };
      const adapter = await withTimeout(gpu.requestAdapter(options), TIMEOUT_MS, `requestAdapter(${backend})`);
      if (adapter) return { adapter, summary: summarizeAdapter(adapter, backend) };
      tried.push(`${backend}: no adapter`);
    } catch (e) {
      tried.push(`${backend}: ${errorMessage(e)}`);
    }
    gpuInstances.delete(backend); // a later call (after a fix to the environment) starts afresh
  }
  return undefined;
}

function backendOrder(opts: RegisterWebGPUOptions): DawnBackend[] {
  const forced = opts.dawnBackend ?? (process.env.TFJS_RNN_WEBGPU_DAWN_BACKEND as DawnBackend | undefined);
  if (forced === 'vulkan' || forced === 'opengles') return [forced];
  return opts.allowOpenGLES === false ? ['vulkan'] : ['vulkan', 'opengles'];
}

/** Every limit the adapter reports: the device gets what the hardware has, not the defaults. */
function adapterLimitsRequest(adapter: GpuAdapterLike): Record<string, number> {
  const out: Record<string, number> = {};
  // Limits are getters on the prototype: for..in sees them, Object.keys does not.
  for (const name in adapter.limits) {
    const v = adapter.limits[name];
    if (typeof v === 'number') out[name] = v;
  }
  return out;
}

/** tfjs 4.22's own request (base.ts): everything except the storage buffer count. */
function tfjsDefaultLimitsRequest(adapter: GpuAdapterLike): Record<string, number> {
  const l = adapter.limits;
  return {
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
  };
}

function requiredFeatures(adapter: GpuAdapterLike): string[] {
  return ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
}

async function requestDevice(adapter: GpuAdapterLike, fullLimits: boolean): Promise<GpuDeviceLike> {
  const features = requiredFeatures(adapter);
  if (!fullLimits) {
    return adapter.requestDevice({ requiredLimits: tfjsDefaultLimitsRequest(adapter), requiredFeatures: features });
  }
  return adapter.requestDevice({ requiredLimits: adapterLimitsRequest(adapter), requiredFeatures: features });
}

/**
 * Reports whether WebGPU can run here and on what, without registering anything with tfjs and
 * without touching globalThis. Never throws; every Dawn call has a timeout.
 */
export async function probeWebGPU(opts: Pick<RegisterWebGPUOptions, 'allowOpenGLES' | 'dawnBackend'> = {}): Promise<WebGPUProbe> {
  const vulkanLoaderPath = findVulkanLoader();
  const probe: WebGPUProbe = {
    available: false,
    vulkanLoader: vulkanLoaderPath !== undefined,
    vulkanLoaderPath,
    vulkanDrivers: findVulkanDrivers(),
    webgpuPackageVersion: packageVersion('webgpu'),
  };
  try {
    try {
      loadDawn();
    } catch (e) {
      probe.reason =
        `the 'webgpu' package (Dawn's Node bindings) did not load: ${errorMessage(e)}. ` +
        `Fix: Node >= 20.19 (this is ${process.version}) on linux-x64/arm64, darwin or win32, and ` +
        "'npm install webgpu'.";
      return probe;
    }
    const tried: string[] = [];
    const found = await findAdapter(backendOrder(opts), tried);
    if (!found) {
      probe.reason = explainNoAdapter(gatherNoAdapterFacts(tried));
      return probe;
    }
    probe.adapter = found.summary;
    probe.limits = pickLimits(found.adapter.limits);
    if (found.summary.isSoftware) probe.mesaVersion = mesaVersionOf(found.summary);
    // An adapter is a promise, a device is the proof: ask for one with the limits we will use.
    try {
      const device = await withTimeout(requestDevice(found.adapter, true), TIMEOUT_MS, 'requestDevice');
      device.destroy();
    } catch (e) {
      probe.reason = `the adapter refused a device with its own limits: ${errorMessage(e)}`;
      return probe;
    }
    probe.available = true;
  } catch (e) {
    probe.reason = `unexpected error while probing WebGPU: ${errorMessage(e)}`;
  }
  return probe;
}

// ---- Validation errors: collected from the device, thrown at the next sync point. ----

const pendingErrors: string[] = [];
let activeDevice: GpuDeviceLike | undefined;
let exitHookInstalled = false;

function recordError(message: string): void {
  pendingErrors.push(message);
}

function watchDevice(device: GpuDeviceLike): void {
  device.addEventListener('uncapturederror', (ev) => {
    // preventDefault stops Dawn printing it to stderr: it is ours to report now.
    ev.preventDefault?.();
    const kind = ev.error?.constructor?.name ?? 'GPUError';
    recordError(`${kind}: ${ev.error?.message ?? String(ev.error)}`);
  });
  device.lost.then(
    (info) => {
      if (info?.reason !== 'destroyed') recordError(`GPU device lost (${info?.reason ?? 'unknown'}): ${info?.message ?? ''}`);
    },
    () => undefined,
  );
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Errors nobody collected must not vanish with the process.
    process.on('exit', () => {
      if (pendingErrors.length > 0) {
        process.stderr.write(`tfjs-rnn: ${pendingErrors.length} unreported WebGPU error(s):\n${pendingErrors.join('\n')}\n`);
      }
    });
  }
}

function throwIfErrors(where: string): void {
  if (pendingErrors.length === 0) return;
  const errors = pendingErrors.splice(0, pendingErrors.length);
  const first = errors[0].split('\n').slice(0, 4).join('\n');
  throw new Error(
    `WebGPU reported ${errors.length} error(s) (found at ${where}); expected none. ` +
      `Results computed since the previous check are not to be trusted.\nFirst: ${first}` +
      (errors.length > 1 ? `\n(+${errors.length - 1} more)` : ''),
  );
}

/**
 * Waits for the GPU queue to drain and the error events to be delivered, then throws if any
 * WebGPU error was reported since the last check. Call it at the end of a test or a script.
 */
export async function assertNoWebGPUErrors(): Promise<void> {
  if (activeDevice) {
    try {
      await withTimeout(activeDevice.queue.onSubmittedWorkDone(), TIMEOUT_MS, 'onSubmittedWorkDone');
    } catch (e) {
      recordError(errorMessage(e));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  throwIfErrors('assertNoWebGPUErrors');
}

/** Errors collected so far (not cleared). For reports; tests should assert with assertNoWebGPUErrors. */
export function webgpuErrors(): string[] {
  return pendingErrors.slice();
}

/**
 * Dawn's validation messages as dawn.node prints them when no `uncapturederror` listener took
 * them: a "validation:" line then the message, written natively to STDOUT (its adapter warnings go
 * to stderr), so neither process.stdout nor console hooks see them. For scanning the output of a
 * child process or a CI log (pass stdout and stderr together). Returns the first line of each.
 */
export function findDawnErrors(output: string): string[] {
  const out: string[] = [];
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^(validation|out of memory|internal|unknown):\s*$/i.test(line.trim())) {
      out.push(`${line.trim()} ${lines[i + 1]?.trim() ?? ''}`.trim());
    } else if (/Uncaptured (WebGPU )?error|GPUValidationError|Device was lost|device lost/i.test(line)) {
      out.push(line.trim());
    }
  }
  return out;
}

// ---- The tfjs backend. ----

interface WebGPUBackendLike extends tf.KernelBackend {
  device: GpuDeviceLike;
  read(dataId: object): Promise<tf.backend_util.BackendValues>;
  readSync(dataId: object): tf.backend_util.BackendValues;
  runWebGPUProgram(...args: unknown[]): tf.TensorInfo;
  tensorMap: { get(dataId: object): { values?: unknown } };
}
type WebGPUBackendCtor = new (device: GpuDeviceLike, adapterInfo?: GpuAdapterInfoLike) => WebGPUBackendLike;

function loadTfjsWebGPU(): WebGPUBackendCtor {
  // The CommonJS bundle registers all webgpu kernels, and registers tfjs's own 'webgpu' factory
  // only if navigator.gpu exists at that moment; we replace that factory below either way.
  const mod = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: WebGPUBackendCtor };
  return mod.WebGPUBackend;
}

/** Makes the WebGPU globals (GPUBufferUsage, ...) and navigator.gpu visible to tfjs. */
function installGlobals(gpu: GpuLike): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(loadDawn().globals)) if (g[k] === undefined) g[k] = v;
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  if (nav.gpu === gpu) return;
  const merged = Object.assign(Object.create(Object.getPrototypeOf(nav) as object) as object, nav, { gpu });
  Object.defineProperty(globalThis, 'navigator', { value: merged, configurable: true, writable: true });
}

const CHUNKED = Symbol.for('tfjs-rnn.addNChunked');
/**
 * tfjs's AddN binds every input plus the output in one shader; a device allows
 * maxStorageBuffersPerShaderStage of them (16 on lavapipe). Split larger sums into chunks.
 */
function patchAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu');
  // The kernel registry is global: patch once even if this module is loaded twice.
  if (!original || (original.kernelFunc as { [CHUNKED]?: boolean })[CHUNKED]) return;
  const addN = original.kernelFunc;
  const chunked: tf.KernelFunc = (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as WebGPUBackendLike;
    const maxInputs = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= maxInputs) return addN(args);
    const temps: tf.TensorInfo[] = [];
    let pending = inputs;
    while (pending.length > maxInputs) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < pending.length; i += maxInputs) {
        const chunk = pending.slice(i, i + maxInputs);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const partial = addN({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        temps.push(partial);
        next.push(partial);
      }
      pending = next;
    }
    const result = addN({ ...args, inputs: pending as unknown as tf.NamedTensorInfoMap });
    for (const t of temps) backend.disposeData(t.dataId);
    return result;
  };
  (chunked as { [CHUNKED]?: boolean })[CHUNKED] = true;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ kernelName: 'AddN', backendName: 'webgpu', kernelFunc: chunked });
}

/** Sync points throw collected errors; dataSync gets a message that says what to do instead. */
function instrumentBackend(backend: WebGPUBackendLike): void {
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    const values = await read(dataId);
    throwIfErrors('data()');
    return values;
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    throwIfErrors('dataSync()');
    const cached = backend.tensorMap.get(dataId).values;
    if (cached == null && typeof (globalThis as Record<string, unknown>).OffscreenCanvas === 'undefined') {
      throw new Error(
        'dataSync()/arraySync() on the webgpu backend needs OffscreenCanvas, which Node does not have; ' +
          'expected an async read: use `await t.data()` / `await t.array()`.',
      );
    }
    return readSync(dataId);
  };
  const runProgram = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (...args: unknown[]) => {
    throwIfErrors('the next webgpu kernel');
    return runProgram(...args);
  };
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    dispose();
    if (activeDevice === backend.device) activeDevice = undefined;
    backend.device.destroy();
  };
}

let lastFactoryError: string | undefined;
let registered: { key: string; factory: () => Promise<WebGPUBackendLike>; info: WebGPUInfo } | undefined;

/**
 * Registers tfjs's webgpu backend on a Dawn device created with the adapter's own limits, makes
 * it the current backend, and returns what it runs on. Throws (with the reason and the fix) when
 * there is no adapter, or when the adapter is software and `allowSoftware` is not set.
 * Calling it again with the same options only makes webgpu current again (its tensors survive);
 * with other options it replaces the backend, and tensors on the old one are gone.
 */
export async function registerWebGPUBackend(opts: RegisterWebGPUOptions = {}): Promise<WebGPUInfo> {
  const key = JSON.stringify([backendOrder(opts), opts.allowSoftware === true, opts.requestAdapterLimits !== false]);
  if (registered && registered.key === key && tf.findBackendFactory('webgpu') === registered.factory) {
    if (!(await tf.setBackend('webgpu'))) {
      throw new Error(`webgpu backend failed to initialise: ${lastFactoryError ?? 'see the warning above'}`);
    }
    return registered.info;
  }
  const webgpuPackageVersion = packageVersion('webgpu') ?? 'unknown';
  try {
    loadDawn();
  } catch (e) {
    throw new Error(
      `webgpu backend unavailable: the 'webgpu' package did not load (${errorMessage(e)}); ` +
        `expected Node >= 20.19 (this is ${process.version}) and 'npm install webgpu'`,
    );
  }
  const order = backendOrder(opts);
  const tried: string[] = [];
  const found = await findAdapter(order, tried);
  if (!found) {
    throw new Error(`webgpu backend unavailable: ${explainNoAdapter(gatherNoAdapterFacts(tried))}`);
  }
  const adapterSummary = found.summary;
  if (adapterSummary.isSoftware && !opts.allowSoftware) {
    throw new Error(
      `webgpu: the only adapter is software (${adapterSummary.description || adapterSummary.device}); ` +
        'expected a hardware GPU. A software adapter is used only when asked for by name (--backend webgpu).',
    );
  }
  const dawnBackend = adapterSummary.dawnBackend;
  const gpu = dawnInstance(dawnBackend);
  installGlobals(gpu);
  const WebGPUBackend = loadTfjsWebGPU();
  patchAddN();

  const fullLimits = opts.requestAdapterLimits !== false;
  const factory = async (): Promise<WebGPUBackendLike> => {
    try {
      // Adapters are single-use: each (re)initialisation asks for a fresh one.
      const options = dawnBackend === 'opengles' ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' };
      const adapter = await withTimeout(gpu.requestAdapter(options), TIMEOUT_MS, 'requestAdapter');
      if (!adapter) throw new Error(`Dawn (${dawnBackend}) returned no adapter`);
      const device = await withTimeout(requestDevice(adapter, fullLimits), TIMEOUT_MS, 'requestDevice');
      watchDevice(device);
      activeDevice = device;
      const backend = new WebGPUBackend(device, adapter.info);
      instrumentBackend(backend);
      lastFactoryError = undefined;
      return backend;
    } catch (e) {
      lastFactoryError = errorMessage(e);
      throw e;
    }
  };
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', factory, opts.priority ?? 3);
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error(`webgpu backend failed to initialise: ${lastFactoryError ?? 'see the warning above'}`);
  await tf.ready();

  const backend = tf.backend() as WebGPUBackendLike;
  const limits = pickLimits(backend.device.limits);
  const mesaVersion = adapterSummary.isSoftware ? mesaVersionOf(adapterSummary) : undefined;
  const name = adapterSummary.description || adapterSummary.device || adapterSummary.vendor || 'unknown adapter';
  const summary =
    `webgpu on ${name} (${adapterSummary.isSoftware ? 'software' : 'hardware'}, Dawn ${dawnBackend}` +
    `${adapterSummary.featureLevel === 'compatibility' ? ' compatibility' : ''}, ` +
    `maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage})`;
  const info: WebGPUInfo = {
    adapter: adapterSummary,
    limits,
    mesaVersion,
    webgpuPackageVersion,
    tfjsBackendWebGPUVersion: packageVersion('@tensorflow/tfjs-backend-webgpu') ?? 'unknown',
    summary,
  };
  registered = { key, factory, info };
  return info;
}

/**
 * Creates a deliberately invalid GPU buffer on the active device (for tests of the error path:
 * a validation error must surface as an exception, not as noise).
 */
export function triggerValidationErrorForTest(): void {
  if (!activeDevice) throw new Error('expected an active webgpu device, got none (call registerWebGPUBackend first)');
  activeDevice.createBuffer({ size: 4, usage: 0xffffffff }); // no such usage bits: a validation error
}

/**
 * True where an unavailable webgpu adapter must be a failure, not a skip: CI (`CI=true`, set by
 * .ci/run and by every CI service) or an explicit TFJS_RNN_TEST_WEBGPU=1.
 */
export function webgpuRequiredByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.TFJS_RNN_TEST_WEBGPU === '1';
}
