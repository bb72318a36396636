/** The doctor's two GPU sections: CUDA through tfjs-node-gpu, and WebGPU through Dawn. */
import * as path from 'path';
import { TFJS_NODE_GPU } from '../backend/names';
import { CUDA_FIX, nodeInstallFix } from '../backend/tensorflow';
import { firstLine } from '../text';
import { hardwareAdapterPossible } from '../webgpu/environment';
import { classifyLoadError } from './sections';
import { isHopper, versionAtLeast } from './parse';
import type { DoctorFacts, Finding, ReportSection } from './types';

const INSTALL_CUDA_FIX =
  'install the CUDA 11.2 runtime and cuDNN 8.1 for CUDA 11 (NVIDIA\'s cuda-11-2 / cuda-libraries-11-2 and ' +
  'libcudnn8=8.1.*-1+cuda11.2 packages, or the conda cudatoolkit=11.2 cudnn=8.1 packages), then make them ' +
  'visible: sudo ldconfig, or export LD_LIBRARY_PATH=/usr/local/cuda-11.2/lib64:$LD_LIBRARY_PATH. ' +
  'A newer CUDA (12.x, 13.x) does not help: libtensorflow 2.9.1 opens these exact sonames.';

const HOPPER_FIX =
  'libtensorflow 2.9.1 predates Hopper (compute capability 9.0) and ships no sm_90 kernels: the driver ' +
  'JIT-compiles PTX on first use (TensorFlow warns this can take 30 minutes). Let one run finish, and keep ' +
  'the compiled kernels: export CUDA_CACHE_MAXSIZE=4294967296 (the default cache is too small to hold them, ' +
  'so every run would JIT again) and a persistent CUDA_CACHE_PATH (default ~/.nv/ComputeCache).';

const WEBGPU_FIX =
  'Debian 12: add bookworm-backports to the apt sources, then apt-get install -t bookworm-backports ' +
  'mesa-vulkan-drivers libvulkan1 (Mesa >= 25; Debian\'s own Mesa 22 lavapipe is rejected by Dawn). On a ' +
  'GPU machine: the vendor\'s Vulkan driver (NVIDIA proprietary driver with its Vulkan ICD; AMD/Intel: Mesa).';

export function cudaSection(facts: DoctorFacts): ReportSection {
  const findings: Finding[] = [];
  const gpu = facts.tfjsNodeGpu;
  const smi = facts.nvidiaSmi;
  const log = gpu.load?.log;

  // 1. The package.
  if (!gpu.installed) {
    findings.push({
      level: smi.ok ? 'warn' : 'info',
      title: `@tensorflow/tfjs-node-gpu is not installed${smi.ok ? ' (but nvidia-smi sees a GPU)' : ''}`,
      fix: nodeInstallFix(TFJS_NODE_GPU, 'not-installed'),
    });
  } else if (!gpu.bindingPath || (gpu.load && !gpu.load.loaded)) {
    const failure = classifyLoadError(gpu);
    findings.push({
      level: 'fail',
      title: failure === 'binding-missing'
        ? `@tensorflow/tfjs-node-gpu ${gpu.version ?? ''} is installed but its native addon is missing (tfjs_binding.node${gpu.libtensorflowPath ? '' : ', libtensorflow'})`
        : `@tensorflow/tfjs-node-gpu ${gpu.version ?? ''} is installed but does not load`,
      detail: gpu.load?.error ? firstLine(gpu.load.error, 400) : undefined,
      fix: nodeInstallFix(TFJS_NODE_GPU, failure),
    });
  } else {
    findings.push({
      level: 'ok',
      title: `@tensorflow/tfjs-node-gpu ${gpu.version ?? ''} installed and loads`,
      detail: `addon ${gpu.bindingPath}${gpu.libtensorflowPath ? `, ${gpu.libtensorflowPath}` : ''}`,
    });
  }

  // 2. The CUDA libraries libtensorflow 2.9.1 opens.
  const installedGpuPkg = gpu.installed;
  for (const lib of facts.cudaLibraries) {
    const missingInLog = log?.missingLibraries.includes(lib.soname) === true;
    if (lib.paths.length > 0 && !missingInLog) {
      findings.push({ level: 'ok', title: `${lib.soname} found`, detail: lib.paths.join(', ') });
      continue;
    }
    if (!lib.primary && lib.paths.length === 0 && !missingInLog && facts.cudaLibraries.some((l) => l.primary && l.paths.length === 0)) {
      continue; // the primary ones already tell the story; listing all eight is noise
    }
    const others = lib.otherVersions.length > 0 ? `; found other versions: ${lib.otherVersions.join(', ')} (wrong soname for libtensorflow 2.9.1)` : '';
    findings.push({
      level: installedGpuPkg ? 'fail' : 'info',
      title: `${lib.soname} not found${missingInLog ? ' (TensorFlow could not load it)' : ''} in ldconfig or LD_LIBRARY_PATH${others}`,
      fix: lib.primary ? INSTALL_CUDA_FIX : 'part of the CUDA 11.2 toolkit libraries; ' + INSTALL_CUDA_FIX,
    });
  }

  // 3. The driver and the GPU.
  if (!smi.found) {
    findings.push({
      level: installedGpuPkg ? 'fail' : 'info',
      title: 'nvidia-smi not found: no NVIDIA driver on this machine (or not on PATH)',
      fix: 'install the NVIDIA driver (>= 450.80.02 for CUDA 11.x); in a container, run with the NVIDIA ' +
        'container toolkit (docker run --gpus all)',
    });
  } else if (!smi.ok) {
    findings.push({
      level: installedGpuPkg ? 'fail' : 'warn',
      title: 'nvidia-smi sees no GPU',
      detail: smi.error,
      fix: 'check the driver is loaded (nvidia-smi must list the GPU); in a container, pass the GPU through ' +
        '(--gpus all); CUDA_VISIBLE_DEVICES must not hide it',
    });
  } else {
    for (const g of smi.gpus) {
      const oldDriver = g.driver !== undefined && !versionAtLeast(g.driver, '450.80.02');
      findings.push({
        level: oldDriver ? 'fail' : 'ok',
        title: `nvidia-smi: ${g.name}${g.computeCap ? ` (compute capability ${g.computeCap})` : ''}, driver ${g.driver ?? '?'}${g.memory ? `, ${g.memory}` : ''}`,
        fix: oldDriver ? 'CUDA 11.2 needs NVIDIA driver >= 450.80.02: upgrade the driver' : undefined,
      });
    }
  }
  if (facts.env.CUDA_VISIBLE_DEVICES !== undefined && facts.env.CUDA_VISIBLE_DEVICES.trim() === '') {
    findings.push({ level: 'warn', title: 'CUDA_VISIBLE_DEVICES is set and empty: it hides every GPU', fix: 'unset CUDA_VISIBLE_DEVICES' });
  }

  // 4. What TensorFlow itself did.
  if (gpu.load?.loaded) {
    if (gpu.load.isUsingGpuDevice) {
      const dev = log?.gpuDevices[0];
      findings.push({
        level: gpu.load.opOk ? 'ok' : 'fail',
        title: `TensorFlow registered the GPU${dev ? `: ${dev.name}${dev.computeCap ? ` (compute capability ${dev.computeCap})` : ''}` : ''}` +
          (gpu.load.opOk ? `; a test op ran in ${gpu.load.opMs ?? '?'} ms` : gpu.load.timedOut ? '; the first op timed out' : '; a test op failed'),
        detail: gpu.load.opOk ? undefined : gpu.load.error,
        fix: gpu.load.timedOut ? HOPPER_FIX : undefined,
      });
    } else {
      const causes: string[] = [];
      if (log && log.missingLibraries.length > 0) causes.push(`could not load ${log.missingLibraries.join(', ')}`);
      if (log?.cuInitError) causes.push(`cuInit failed: ${log.cuInitError}`);
      if (!smi.ok) causes.push('no GPU visible to the driver');
      findings.push({
        level: 'fail',
        title: 'TensorFlow registered no GPU: tfjs-node-gpu runs on the CPU (silently, unless you look here)',
        detail: causes.length > 0 ? `cause: ${causes.join('; ')}` : 'TensorFlow gave no reason in its log',
        fix: CUDA_FIX,
      });
    }
  }

  // 5. Hopper.
  const hopper = smi.gpus.find(isHopper) ?? log?.gpuDevices.find(isHopper);
  if (hopper || log?.ptxJitComputeCap) {
    const cache = Number(facts.env.CUDA_CACHE_MAXSIZE ?? 0);
    findings.push({
      level: cache >= 2 ** 31 ? 'info' : 'warn',
      title: `${hopper?.name ?? `compute capability ${log?.ptxJitComputeCap}`}: first run JIT-compiles PTX` +
        (cache >= 2 ** 31 ? ` (CUDA_CACHE_MAXSIZE=${cache}: the kernels will be cached)` : ' (CUDA_CACHE_MAXSIZE not raised)'),
      fix: HOPPER_FIX,
    });
  }
  if (!installedGpuPkg) {
    findings.push({ level: 'info', title: 'offline install', detail: `mirror variables in effect: TFJS_NODE_CDN_STORAGE=${facts.env.TFJS_NODE_CDN_STORAGE ?? '(unset)'}` });
  }
  return { title: 'GPU: CUDA via @tensorflow/tfjs-node-gpu (libtensorflow 2.9.1, CUDA 11.2, cuDNN 8.1)', findings };
}

export function webgpuSection(facts: DoctorFacts): ReportSection {
  const findings: Finding[] = [];
  const probe = facts.webgpu;
  if ('moduleError' in probe) {
    findings.push({ level: 'warn', title: 'the WebGPU probe did not run', detail: probe.moduleError });
    return { title: 'GPU: WebGPU via Dawn (the webgpu package)', findings };
  }
  findings.push(probe.vulkanLoader
    ? { level: 'ok', title: `Vulkan loader found${probe.vulkanLoaderPath ? `: ${probe.vulkanLoaderPath}` : ''}` }
    : { level: 'warn', title: 'Vulkan loader (libvulkan.so.1) not found', fix: 'apt-get install libvulkan1' });
  if (probe.vulkanDrivers !== undefined) {
    findings.push(probe.vulkanDrivers.length > 0
      ? { level: 'info', title: `Vulkan drivers: ${probe.vulkanDrivers.map((d) => path.basename(d)).join(', ')}` }
      : { level: 'warn', title: 'no Vulkan driver manifest (ICD) installed', fix: WEBGPU_FIX });
  }
  const possible = hardwareAdapterPossible(facts.platform.split(' ')[0], () => facts.gpuDeviceNodes);
  if (facts.gpuDeviceNodes.length > 0) {
    findings.push({ level: 'info', title: `GPU device nodes: ${facts.gpuDeviceNodes.join(', ')}` });
  } else if (!possible.possible) {
    findings.push({ level: 'info', title: possible.reason, detail: 'so auto-selection skips webgpu without loading Dawn' });
  }
  if (facts.runtimeDir) {
    const was = facts.runtimeDir.was === undefined ? 'unset' : `'${facts.runtimeDir.was}', not a usable directory`;
    findings.push({
      level: 'info',
      title: `XDG_RUNTIME_DIR was ${was}: set to ${facts.runtimeDir.now} for Dawn`,
      detail: "so that Mesa's Vulkan driver does not print 'error: XDG_RUNTIME_DIR is invalid or not set in the environment' in runs that succeed",
    });
  }
  if (probe.webgpuPackageVersion) findings.push({ level: 'info', title: `webgpu (Dawn) package ${probe.webgpuPackageVersion}` });
  const a = probe.adapter;
  if (a) {
    const name = a.description || a.device || 'unnamed adapter';
    findings.push({
      level: probe.available ? (a.isSoftware ? 'warn' : 'ok') : 'fail',
      title: `adapter: ${name}; vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}` +
        `${a.isSoftware ? `, software${probe.mesaVersion ? ` (Mesa ${probe.mesaVersion})` : ''}` : ', hardware'}`,
      detail: a.isSoftware
        ? 'a software adapter runs the proofs but is slower than wasm/cpu; it is used only with --backend webgpu'
        : undefined,
      fix: probe.available ? undefined : probe.reason,
    });
  } else {
    findings.push({ level: 'warn', title: 'no WebGPU adapter', detail: probe.reason, fix: WEBGPU_FIX });
  }
  const check = facts.backends.find((c) => c.backend === 'webgpu');
  if (check && probe.available) {
    findings.push(check.ok
      ? { level: 'ok', title: 'tfjs webgpu backend registered and computed a test op' }
      : { level: 'fail', title: 'tfjs webgpu backend failed', detail: check.error });
  }
  return { title: 'GPU: WebGPU via Dawn (the webgpu package)', findings };
}
