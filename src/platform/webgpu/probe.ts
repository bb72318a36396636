/**
 * Finding an adapter and proving it: Vulkan first, then (when allowed) Dawn's OpenGL ES backend
 * (EGL surfaceless, compatibility feature level), then a device with the adapter's own limits.
 * Nothing here registers anything with tfjs or touches globalThis.
 */
import { packageInfo } from '../system';
import { errorMessage } from '../text';
import { dawnInstance, forgetDawnInstance, loadDawn, TIMEOUT_MS, withTimeout } from './dawn';
import { explainNoAdapter, findVulkanDrivers, findVulkanLoader, gatherNoAdapterFacts, installedMesaVersion, isHardwareAdapter } from './environment';
import {
  AdapterOptions,
  DawnBackend,
  GpuAdapterLike,
  GpuDeviceLike,
  LIMIT_NAMES,
  WebGPUAdapterSummary,
  WebGPULimits,
  WebGPUProbe,
} from './types';

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

export function pickLimits(source: Record<string, number>): WebGPULimits {
  const out = {} as WebGPULimits;
  for (const name of LIMIT_NAMES) out[name] = Number(source[name]);
  return out;
}

export function mesaVersionOf(adapter: WebGPUAdapterSummary): string | undefined {
  const m = /Mesa ([0-9][^\s)]*)/.exec(`${adapter.description} ${adapter.device}`);
  if (m) return m[1];
  return adapter.vendor.toLowerCase() === 'mesa' || adapter.isSoftware ? installedMesaVersion() : undefined;
}

export interface FoundAdapter {
  adapter: GpuAdapterLike;
  summary: WebGPUAdapterSummary;
}

/** The options requestAdapter gets for a Dawn backend. */
export function adapterRequest(backend: DawnBackend): { featureLevel?: string; powerPreference: string } {
  return backend === 'opengles'
    ? { featureLevel: 'compatibility', powerPreference: 'high-performance' }
    : { powerPreference: 'high-performance' };
}

/** First adapter from each Dawn backend in `order`; `tried` records each attempt that gave none. */
export async function findAdapter(order: DawnBackend[], tried: string[]): Promise<FoundAdapter | undefined> {
  for (const backend of order) {
    try {
      const gpu = dawnInstance(backend);
      const adapter = await withTimeout(gpu.requestAdapter(adapterRequest(backend)), TIMEOUT_MS, `requestAdapter(${backend})`);
      if (adapter) return { adapter, summary: summarizeAdapter(adapter, backend) };
      tried.push(`${backend}: no adapter`);
    } catch (e) {
      tried.push(`${backend}: ${errorMessage(e)}`);
    }
    forgetDawnInstance(backend);
  }
  return undefined;
}

export function backendOrder(opts: AdapterOptions): DawnBackend[] {
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

export async function requestDevice(adapter: GpuAdapterLike, fullLimits: boolean): Promise<GpuDeviceLike> {
  const requiredLimits = fullLimits ? adapterLimitsRequest(adapter) : tfjsDefaultLimitsRequest(adapter);
  return adapter.requestDevice({ requiredLimits, requiredFeatures: requiredFeatures(adapter) });
}

/** probeWebGPU's answer plus each Dawn backend tried that gave no adapter. */
export interface ProbeWithAttempts {
  probe: WebGPUProbe;
  tried: string[];
}

/** probeWebGPU, also saying what was tried (for a short reason when no adapter was found). */
export async function probeWebGPUWithAttempts(opts: AdapterOptions = {}): Promise<ProbeWithAttempts> {
  const vulkanLoaderPath = findVulkanLoader();
  const probe: WebGPUProbe = {
    available: false,
    vulkanLoader: vulkanLoaderPath !== undefined,
    vulkanLoaderPath,
    vulkanDrivers: findVulkanDrivers(),
    webgpuPackageVersion: packageInfo('webgpu')?.version,
  };
  const tried: string[] = [];
  try {
    try {
      loadDawn();
    } catch (e) {
      probe.reason =
        `the 'webgpu' package (Dawn's Node bindings) did not load: ${errorMessage(e)}. ` +
        `Fix: Node >= 20.19 (this is ${process.version}) on linux-x64/arm64, darwin or win32, and ` +
        "'npm install webgpu'.";
      return { probe, tried };
    }
    const found = await findAdapter(backendOrder(opts), tried);
    if (!found) {
      probe.reason = explainNoAdapter(gatherNoAdapterFacts(tried));
      return { probe, tried };
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
      return { probe, tried };
    }
    probe.available = true;
  } catch (e) {
    probe.reason = `unexpected error while probing WebGPU: ${errorMessage(e)}`;
  }
  return { probe, tried };
}

/**
 * Reports whether WebGPU can run here and on what, without registering anything with tfjs and
 * without touching globalThis. Never throws; every Dawn call has a timeout. Loads Dawn in this
 * process (its warnings go to stderr); probeWebGPUInChild keeps them out of this process.
 */
export async function probeWebGPU(opts: AdapterOptions = {}): Promise<WebGPUProbe> {
  return (await probeWebGPUWithAttempts(opts)).probe;
}
