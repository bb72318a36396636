/**
 * The WebGPU vocabulary: what we report about an adapter and a device, the options of
 * registerWebGPUBackend, and minimal structural types for the parts of the WebGPU API we touch
 * (there is no DOM lib in this project).
 */

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

export const LIMIT_NAMES: readonly (keyof WebGPULimits)[] = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
];

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

/** The options that choose an adapter (what probeWebGPU accepts). */
export type AdapterOptions = Pick<RegisterWebGPUOptions, 'allowOpenGLES' | 'dawnBackend'>;

export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuErrorEventLike {
  error?: { message?: string; constructor?: { name?: string } };
  preventDefault?: () => void;
}
export interface GpuDeviceLike {
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  queue: { onSubmittedWorkDone(): Promise<void> };
  lost: Promise<{ reason?: string; message?: string }>;
  addEventListener(type: 'uncapturederror', listener: (ev: GpuErrorEventLike) => void): void;
  destroy(): void;
  createBuffer(descriptor: { size: number; usage: number }): unknown;
}
export interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  featureLevel?: string;
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(descriptor?: {
    requiredLimits?: Record<string, number>;
    requiredFeatures?: string[];
  }): Promise<GpuDeviceLike>;
}
export interface GpuLike {
  requestAdapter(options?: {
    powerPreference?: string;
    featureLevel?: string;
  }): Promise<GpuAdapterLike | null>;
}
export interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
