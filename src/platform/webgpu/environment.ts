/**
 * Facts about this machine that decide whether WebGPU can run, read without loading Dawn: the
 * Vulkan loader and drivers, Mesa, the GPU device nodes; and, from such facts, why Dawn gave no
 * adapter and what fixes it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { commandOutput, findLibrary, ldconfigCache, ldLibraryPathDirs, listDir } from '../system';
import { realProcess } from './dawn';

/** Where libvulkan.so.1 is (LD_LIBRARY_PATH first, as the dynamic linker looks); undefined when absent. */
export function findVulkanLoader(): string | undefined {
  const lib = findLibrary('libvulkan.so.1', ldconfigCache(), process.env.LD_LIBRARY_PATH);
  const fromEnv = ldLibraryPathDirs(process.env.LD_LIBRARY_PATH);
  return lib.paths.find((p) => fromEnv.includes(path.dirname(p))) ?? lib.paths[0];
}

const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/** Vulkan driver manifests (ICDs) in the loader's standard search directories. */
export function findVulkanDrivers(): string[] {
  return ICD_DIRS.flatMap((dir) => listDir(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)));
}

/** Installed Mesa Vulkan driver version from dpkg (Debian/Ubuntu), undefined elsewhere. */
export function installedMesaVersion(): string | undefined {
  const v = commandOutput('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers'])?.trim();
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

/**
 * The device nodes a Linux process reaches a GPU through: DRM (/dev/dri: Mesa's and NVIDIA's
 * Vulkan drivers), NVIDIA's own (/dev/nvidia0, ...) and WSL's (/dev/dxg). Without one, every
 * adapter Dawn could find is a software one.
 */
export function gpuDeviceNodes(): string[] {
  const dri = listDir('/dev/dri').map((f) => path.join('/dev/dri', f));
  const nvidia = listDir('/dev').filter((f) => /^nvidia\d+$/.test(f)).map((f) => path.join('/dev', f));
  return [...dri, ...nvidia, ...(fs.existsSync('/dev/dxg') ? ['/dev/dxg'] : [])];
}

/**
 * Whether a hardware adapter can exist here, decided without loading Dawn (which prints its
 * warnings on stderr). Off Linux the answer is always yes: only Dawn can tell.
 */
export function hardwareAdapterPossible(
  platform: string = process.platform,
  nodes: () => string[] = gpuDeviceNodes,
): { possible: true } | { possible: false; reason: string } {
  if (platform !== 'linux' || nodes().length > 0) return { possible: true };
  return {
    possible: false,
    reason: 'no GPU device node (/dev/dri/*, /dev/nvidia*, /dev/dxg), so no hardware adapter; a software ' +
      'adapter is used only when asked for by name (--backend webgpu)',
  };
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

/** The one-sentence headline of a missing adapter: what was tried. */
export function noAdapterHeadline(tried: string[]): string {
  return `Dawn returned no WebGPU adapter (tried: ${tried.join('; ')}).`;
}

/** Why Dawn gave no adapter, with the fix for each cause found. Pure: test it with fakes. */
export function explainNoAdapter(facts: NoAdapterFacts): string {
  const lines = [noAdapterHeadline(facts.tried)];
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

/**
 * True where an unavailable webgpu adapter must be a failure, not a skip: CI (`CI=true`, set by
 * .ci/run and by every CI service) or an explicit TFJS_RNN_TEST_WEBGPU=1.
 */
export function webgpuRequiredByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.TFJS_RNN_TEST_WEBGPU === '1';
}
