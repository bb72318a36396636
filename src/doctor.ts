/**
 * `npm run doctor`: what can run here, what cannot, and for each problem the fix.
 *
 * Three layers, so the GPU logic can be tested on a machine without a GPU:
 *   collectFacts(probes)  the only part that touches the machine (files, ldconfig, nvidia-smi, a
 *                         child process that loads tfjs-node-gpu, Dawn); probes are injectable;
 *   diagnose(facts)       pure: facts in, findings with fixes and an exit code out;
 *   formatReport(report)  pure: the text a person reads (`--json` prints the report instead).
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  AUTO_ORDER,
  BACKEND_NAMES,
  BackendName,
  BackendRequest,
  CandidateId,
  CUDA_FIX,
  TFJS_NODE,
  TFJS_NODE_GPU,
  classifyRequireError,
  errorMessage,
  initBackend,
  nodeInstallFix,
} from './backend';
import type { WebGPUProbe } from './webgpu';

// ---------------------------------------------------------------------------------------------
// Facts

export interface PackageFact {
  name: string;
  /** undefined when not installed. */
  version?: string;
  dir?: string;
  optional: boolean;
}

/** A shared library looked up by soname in `ldconfig -p` and in LD_LIBRARY_PATH directories. */
export interface LibraryFact {
  soname: string;
  /** Where it was found (empty: not found). */
  paths: string[];
  /** Other versions of the same library that were found (e.g. libcudart.so.13 for .so.11.0). */
  otherVersions: string[];
  /** True for the two the issue names: TensorFlow cannot use the GPU without them. */
  primary: boolean;
}

export interface GpuFact {
  name: string;
  driver?: string;
  computeCap?: string;
  memory?: string;
}

export interface NvidiaSmiFact {
  /** nvidia-smi is on PATH. */
  found: boolean;
  /** It ran and listed at least one GPU. */
  ok: boolean;
  gpus: GpuFact[];
  error?: string;
}

/** What TensorFlow printed while it loaded (TF_CPP_MIN_LOG_LEVEL=0), digested. */
export interface TfLogFacts {
  missingLibraries: string[];
  openedLibraries: string[];
  gpuDevices: { name: string; computeCap?: string; memoryMB?: number }[];
  /** "TensorFlow was not built with CUDA kernel binaries compatible with compute capability X". */
  ptxJitComputeCap?: string;
  /** "failed call to cuInit: CUDA_ERROR_..." */
  cuInitError?: string;
  skippedGpuRegistration: boolean;
}

/** One tfjs-node package: on disk, and what happened when a child process loaded it. */
export interface NodePackageFact {
  package: string;
  installed: boolean;
  version?: string;
  /** lib/napi-v* /tfjs_binding.node, the addon the install script downloads or builds. */
  bindingPath?: string;
  /** libtensorflow.so.2.x shipped next to the addon or in deps/lib. */
  libtensorflowPath?: string;
  /** Absent when not installed (no child process was run). */
  load?: {
    loaded: boolean;
    error?: string;
    errorCode?: string;
    isUsingGpuDevice?: boolean;
    /** A 2x2 matMul gave the right answer. */
    opOk?: boolean;
    opMs?: number;
    timedOut?: boolean;
    log: TfLogFacts;
  };
}

/** An in-process initBackend(name) plus a tiny matMul. */
export interface BackendCheckFact {
  backend: BackendName;
  ok: boolean;
  package?: string;
  version?: string;
  summary?: string;
  details?: Record<string, unknown>;
  error?: string;
}

export interface DoctorFacts {
  node: string;
  platform: string;
  packages: PackageFact[];
  backends: BackendCheckFact[];
  tfjsNodeGpu: NodePackageFact;
  tfjsNode: NodePackageFact;
  cudaLibraries: LibraryFact[];
  nvidiaSmi: NvidiaSmiFact;
  /** probeWebGPU()'s answer, or why the webgpu module could not even be loaded. */
  webgpu: WebGPUProbe | { moduleError: string };
  env: Record<string, string | undefined>;
}

/** Everything collectFacts needs from the machine. Tests pass fakes. */
export interface DoctorProbes {
  /** Version and directory of an installed package, undefined when absent. */
  packageInfo(name: string): { version: string; dir: string } | undefined;
  /** Glob-free file lookups inside a package dir: the addon and libtensorflow. */
  nodeBinaries(dir: string): { bindingPath?: string; libtensorflowPath?: string };
  /** Loads a tfjs-node package in a child process; stdout JSON + stderr. */
  loadNodePackage(pkg: string): Promise<ChildLoadResult>;
  /** Output of `ldconfig -p`, undefined when ldconfig is unavailable. */
  ldconfig(): string | undefined;
  /** Files in a directory (empty when absent). */
  listDir(dir: string): string[];
  /** nvidia-smi's CSV answer, or how it failed. */
  nvidiaSmi(): { found: boolean; stdout?: string; error?: string };
  probeWebGPU(): Promise<WebGPUProbe>;
  checkBackend(name: BackendName): Promise<BackendCheckFact>;
  env: NodeJS.ProcessEnv;
}

/** What the child process that loads tfjs-node(-gpu) reports. */
export interface ChildLoadResult {
  loaded: boolean;
  error?: string;
  errorCode?: string;
  isUsingGpuDevice?: boolean;
  opValues?: number[];
  opMs?: number;
  timedOut?: boolean;
  stderr: string;
}

/** Libraries libtensorflow 2.9.1 dlopens before it registers a GPU (primary: named by issue 3). */
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
  { name: 'webgpu', optional: false },
  { name: TFJS_NODE_GPU, optional: true },
  { name: TFJS_NODE, optional: true },
];

const ENV_KEYS = [
  'TFJS_RNN_BACKEND', 'LD_LIBRARY_PATH', 'CUDA_VISIBLE_DEVICES', 'CUDA_CACHE_MAXSIZE', 'CUDA_CACHE_PATH',
  'TFJS_NODE_CDN_STORAGE', 'TFJS_NODE_BASE_URI',
];

// ---------------------------------------------------------------------------------------------
// Pure parsers

/** Parses `ldconfig -p` into soname → paths. */
export function parseLdconfig(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    if (!m) continue;
    const list = out.get(m[1]) ?? [];
    list.push(m[3]);
    out.set(m[1], list);
  }
  return out;
}

/** Looks a soname up in ldconfig's cache and in the LD_LIBRARY_PATH directories. */
export function findLibrary(
  soname: string,
  ldconfigText: string | undefined,
  ldLibraryPath: string | undefined,
  listDir: (dir: string) => string[],
  primary = false,
): LibraryFact {
  const paths: string[] = [];
  const others = new Set<string>();
  const stem = soname.replace(/\.so.*$/, '.so');
  const consider = (name: string, where: string): void => {
    if (name === soname) paths.push(where);
    else if (name.startsWith(`${stem}.`)) others.add(name);
  };
  if (ldconfigText) {
    for (const [name, list] of parseLdconfig(ldconfigText)) for (const p of list) consider(name, p);
  }
  for (const dir of (ldLibraryPath ?? '').split(':').filter(Boolean)) {
    for (const name of listDir(dir)) consider(name, path.join(dir, name));
  }
  return { soname, paths: [...new Set(paths)], otherVersions: [...others].sort(), primary };
}

/** Parses `nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader`. */
export function parseNvidiaSmi(csv: string): GpuFact[] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name, driver, computeCap, memory] = l.split(',').map((s) => s.trim());
      return { name, driver, computeCap: computeCap && computeCap !== '[N/A]' ? computeCap : undefined, memory };
    });
}

/** Digests what TensorFlow logs while it loads (it logs to stderr, never to JavaScript). */
export function parseTfLog(stderr: string): TfLogFacts {
  const missing = new Set<string>();
  const opened = new Set<string>();
  for (const m of stderr.matchAll(/Could not load dynamic library '([^']+)'/g)) missing.add(m[1]);
  for (const m of stderr.matchAll(/Successfully opened dynamic library (\S+)/g)) opened.add(m[1]);
  const gpuDevices: TfLogFacts['gpuDevices'] = [];
  // TF >= 2.5: "... with 78911 MB memory:  -> device: 0, name: X, pci bus id: Y, compute capability: 9.0";
  // older: "... with N MB memory) -> physical GPU (device: 0, name: X, ...)".
  const created = /Created device \S*GPU:\d+ with (\d+) MB memory\)?:?\s*->\s*(?:physical GPU \()?device: \d+, name: ([^,]+), pci bus id: [^,]+, compute capability: ([\d.]+)/g;
  for (const m of stderr.matchAll(created)) {
    gpuDevices.push({ memoryMB: Number(m[1]), name: m[2].trim(), computeCap: m[3] });
  }
  const ptx = /not built with CUDA kernel binaries compatible with compute capability (\d+(?:\.\d+)?)/.exec(stderr);
  const cuInit = /failed call to cuInit: (\S+)/.exec(stderr);
  return {
    missingLibraries: [...missing],
    openedLibraries: [...opened],
    gpuDevices,
    ptxJitComputeCap: ptx?.[1],
    cuInitError: cuInit?.[1],
    skippedGpuRegistration: /Cannot dlopen some GPU libraries|Skipping registering GPU devices/.test(stderr),
  };
}

/** True for compute capability 9.x (Hopper: H100, H200, GH200), which libtensorflow 2.9.1 predates. */
export function isHopper(gpu: { name?: string; computeCap?: string }): boolean {
  if (gpu.computeCap) return Number(gpu.computeCap.split('.')[0]) >= 9;
  return /\b(H100|H200|H800|GH200)\b/.test(gpu.name ?? '');
}

function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return true;
    if (x !== y) return x > y;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Collecting

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
    packages, backends, tfjsNodeGpu, tfjsNode, cudaLibraries, nvidiaSmi, webgpu, env,
  };
}

// ---------------------------------------------------------------------------------------------
// Diagnosing

export type Level = 'ok' | 'warn' | 'fail' | 'info';

export interface Finding {
  level: Level;
  title: string;
  detail?: string;
  fix?: string;
}

export interface ReportSection {
  title: string;
  findings: Finding[];
}

/** One candidate of the auto order, judged from the facts. */
export interface CandidateVerdict {
  candidate: CandidateId;
  ok: boolean;
  reason?: string;
}

export interface DoctorReport {
  header: string;
  sections: ReportSection[];
  requested: BackendRequest;
  /** What `--backend auto` would pick, and why each earlier candidate is skipped. */
  auto: { choice: CandidateId; verdicts: CandidateVerdict[] };
  /** Whether the requested backend can run (for 'auto': whether the auto choice works). */
  requestedOk: boolean;
  /** --gpu: a GPU backend (CUDA tensorflow or hardware webgpu) must work. */
  gpuRequired: boolean;
  gpuOk: boolean;
  exitCode: number;
  facts: DoctorFacts;
}

export interface DiagnoseOptions {
  requested?: BackendRequest;
  requireGpu?: boolean;
}

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

/** Judges every candidate of the auto order from the facts (the same order initBackend uses). */
export function judgeCandidates(facts: DoctorFacts): CandidateVerdict[] {
  const check = (b: BackendName): BackendCheckFact | undefined => facts.backends.find((c) => c.backend === b);
  const verdict = (candidate: CandidateId): CandidateVerdict => {
    switch (candidate) {
      case 'tensorflow-gpu': {
        const f = facts.tfjsNodeGpu;
        if (!f.installed) return { candidate, ok: false, reason: 'tfjs-node-gpu not installed' };
        if (!f.load) return { candidate, ok: false, reason: 'not checked' };
        if (!f.load.loaded) return { candidate, ok: false, reason: `tfjs-node-gpu does not load: ${firstLine(f.load.error ?? '')}` };
        if (!f.load.isUsingGpuDevice) return { candidate, ok: false, reason: 'TensorFlow registered no CUDA device' };
        if (!f.load.opOk) return { candidate, ok: false, reason: f.load.timedOut ? 'first op timed out' : 'a test op failed' };
        return { candidate, ok: true };
      }
      case 'webgpu': {
        const c = check('webgpu');
        const probe = facts.webgpu;
        if ('moduleError' in probe) return { candidate, ok: false, reason: probe.moduleError };
        if (!probe.available) return { candidate, ok: false, reason: firstLine(probe.reason ?? 'no adapter') };
        if (probe.adapter?.isSoftware) return { candidate, ok: false, reason: 'software adapter: only with --backend webgpu' };
        if (c && !c.ok) return { candidate, ok: false, reason: firstLine(c.error ?? 'failed') };
        return { candidate, ok: c?.ok ?? false, reason: c ? undefined : 'not checked' };
      }
      case 'tensorflow-cpu': {
        const gpu = facts.tfjsNodeGpu.load;
        const cpu = facts.tfjsNode.load;
        if (cpu?.loaded && cpu.opOk) return { candidate, ok: true };
        if (gpu?.loaded && gpu.opOk) return { candidate, ok: true, reason: 'via tfjs-node-gpu on the CPU' };
        if (!facts.tfjsNode.installed) return { candidate, ok: false, reason: 'tfjs-node not installed' };
        return { candidate, ok: false, reason: `tfjs-node does not load: ${firstLine(cpu?.error ?? 'not checked')}` };
      }
      case 'wasm':
      case 'cpu': {
        const c = check(candidate);
        return c ? { candidate, ok: c.ok, reason: c.ok ? undefined : firstLine(c.error ?? '') } : { candidate, ok: false, reason: 'not checked' };
      }
    }
  };
  return AUTO_ORDER.map(verdict);
}

function requestedWorks(requested: BackendRequest, verdicts: CandidateVerdict[], facts: DoctorFacts): boolean {
  const v = (c: CandidateId): boolean => verdicts.find((x) => x.candidate === c)?.ok === true;
  switch (requested) {
    case 'auto': return verdicts.some((x) => x.ok);
    case 'tensorflow': return v('tensorflow-gpu') || v('tensorflow-cpu');
    case 'webgpu': return facts.backends.find((c) => c.backend === 'webgpu')?.ok === true;
    case 'wasm': return v('wasm');
    case 'cpu': return v('cpu');
  }
}

/** Turns facts into findings with fixes, the auto choice and the exit code. Pure. */
export function diagnose(facts: DoctorFacts, opts: DiagnoseOptions = {}): DoctorReport {
  const requested = opts.requested ?? 'auto';
  const verdicts = judgeCandidates(facts);
  const chosen = verdicts.find((v) => v.ok)?.candidate ?? 'cpu';
  const sections: ReportSection[] = [
    packagesSection(facts),
    backendsSection(facts, verdicts, chosen),
    cudaSection(facts),
    webgpuSection(facts),
  ];
  const requestedOk = requestedWorks(requested, verdicts, facts);
  const gpuOk = verdicts.find((v) => v.candidate === 'tensorflow-gpu')?.ok === true ||
    verdicts.find((v) => v.candidate === 'webgpu')?.ok === true;
  const gpuRequired = opts.requireGpu === true;
  const exitCode = requestedOk && (!gpuRequired || gpuOk) ? 0 : 1;
  const verdictLines: Finding[] = [];
  if (requested !== 'auto') {
    verdictLines.push(requestedOk
      ? { level: 'ok', title: `requested backend '${requested}' can run` }
      : { level: 'fail', title: `requested backend '${requested}' cannot run here`, detail: 'see its section above for the reason and the fix' });
  }
  verdictLines.push({ level: 'info', title: `with no --backend, scripts use: ${chosen}` +
    (facts.env.TFJS_RNN_BACKEND ? ` (but TFJS_RNN_BACKEND=${facts.env.TFJS_RNN_BACKEND} is set)` : '') });
  if (gpuRequired) {
    verdictLines.push(gpuOk
      ? { level: 'ok', title: 'a GPU backend works (--gpu)' }
      : { level: 'fail', title: 'no GPU backend works (--gpu): neither tensorflow with CUDA nor webgpu on a hardware adapter' });
  }
  sections.push({ title: 'Verdict', findings: verdictLines });
  return {
    header: `tfjs-rnn doctor: Node ${facts.node}, ${facts.platform}`,
    sections,
    requested,
    auto: { choice: chosen, verdicts },
    requestedOk,
    gpuRequired,
    gpuOk,
    exitCode,
    facts,
  };
}

function packagesSection(facts: DoctorFacts): ReportSection {
  const findings: Finding[] = facts.packages.map((p) => {
    if (p.version) return { level: 'ok', title: `${p.name} ${p.version}` };
    return p.optional
      ? { level: 'info', title: `${p.name} not installed (optional)` }
      : { level: 'fail', title: `${p.name} not installed`, fix: 'npm install (it is a dependency of tfjs-rnn)' };
  });
  const versions = new Set(facts.packages.filter((p) => p.name.startsWith('@tensorflow/') && p.version).map((p) => p.version));
  if (versions.size > 1) {
    findings.push({
      level: 'warn',
      title: `@tensorflow packages at different versions (${[...versions].join(', ')})`,
      fix: 'install matching versions (all 4.22.x): backends register kernels into the tfjs-core they import',
    });
  }
  return { title: 'Packages', findings };
}

function backendsSection(facts: DoctorFacts, verdicts: CandidateVerdict[], chosen: CandidateId): ReportSection {
  const findings: Finding[] = [];
  for (const c of facts.backends) {
    if (c.ok) {
      findings.push({ level: 'ok', title: `${c.backend}: loads and computes`, detail: c.summary });
    } else {
      findings.push({
        level: c.backend === 'webgpu' ? 'warn' : 'fail',
        title: `${c.backend}: does not load`,
        detail: c.error,
        fix: c.backend === 'webgpu' ? 'see the WebGPU section' : c.backend === 'wasm'
          ? 'reinstall @tensorflow/tfjs-backend-wasm (its dist/*.wasm files must exist)' : undefined,
      });
    }
  }
  const tf = tensorflowFinding(facts);
  if (tf) findings.push(tf);
  const skipped = verdicts.slice(0, verdicts.findIndex((v) => v.candidate === chosen)).map((v) => `${v.candidate}: ${v.reason}`);
  findings.push({
    level: 'info',
    title: `auto-selection picks ${chosen}`,
    detail: skipped.length > 0 ? `skipped ${skipped.join('; ')}` : undefined,
  });
  return { title: 'Backends', findings };
}

function tensorflowFinding(facts: DoctorFacts): Finding | undefined {
  const gpu = facts.tfjsNodeGpu;
  const cpu = facts.tfjsNode;
  const loaded = [gpu, cpu].find((f) => f.load?.loaded);
  if (loaded?.load) {
    const l = loaded.load;
    const where = l.isUsingGpuDevice ? 'on a CUDA GPU' : 'on the CPU (no CUDA device)';
    return l.opOk
      ? { level: l.isUsingGpuDevice || loaded === cpu ? 'ok' : 'warn', title: `tensorflow: loads via ${loaded.package} ${loaded.version ?? ''}, runs ${where}` }
      : { level: 'fail', title: `tensorflow: ${loaded.package} loads but a test op ${l.timedOut ? 'timed out' : 'failed'}`, detail: l.error };
  }
  if (!gpu.installed && !cpu.installed) {
    return {
      level: 'info',
      title: 'tensorflow: not available (neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed)',
      fix: `for CUDA: ${nodeInstallFix(TFJS_NODE_GPU, 'not-installed')}`,
    };
  }
  const broken = [gpu, cpu].find((f) => f.installed);
  if (broken?.load === undefined) return undefined;
  return {
    level: 'fail',
    title: `tensorflow: ${broken.package} is installed but does not load`,
    detail: firstLine(broken.load.error ?? '', 400),
    fix: nodeInstallFix(broken.package, classifyLoadError(broken)),
  };
}

function classifyLoadError(f: NodePackageFact): ReturnType<typeof classifyRequireError> {
  if (f.installed && !f.bindingPath) return 'binding-missing';
  const err = Object.assign(new Error(f.load?.error ?? ''), { code: f.load?.errorCode });
  return classifyRequireError(f.package, err);
}

function cudaSection(facts: DoctorFacts): ReportSection {
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

function webgpuSection(facts: DoctorFacts): ReportSection {
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

// ---------------------------------------------------------------------------------------------
// Formatting

const MARK: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: '--  ' };

/** The report as text for a terminal. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [report.header, ''];
  for (const s of report.sections) {
    lines.push(s.title);
    for (const f of s.findings) {
      lines.push(`  ${MARK[f.level]}  ${f.title}`);
      if (f.detail) lines.push(...wrap(f.detail, 8));
      if (f.fix) lines.push(...wrap(`fix: ${f.fix}`, 8));
    }
    lines.push('');
  }
  lines.push(`exit code ${report.exitCode}`);
  return lines.join('\n');
}

function wrap(text: string, indent: number, width = 100): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line.length > 0 && pad.length + line.length + 1 + word.length > width) {
        out.push(pad + line);
        line = word;
      } else {
        line = line.length > 0 ? `${line} ${word}` : word;
      }
    }
    if (line.length > 0) out.push(pad + line);
  }
  return out;
}

function firstLine(s: string, max = 160): string {
  const line = s.split('\n')[0];
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

// ---------------------------------------------------------------------------------------------
// The real probes

/** The project root (where package.json and node_modules are). */
function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'node_modules'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

function realPackageInfo(name: string): { version: string; dir: string } | undefined {
  for (const base of require.resolve.paths(name) ?? []) {
    const file = path.join(base, name, 'package.json');
    if (!fs.existsSync(file)) continue;
    try {
      const version = String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown');
      return { version, dir: path.dirname(file) };
    } catch {
      return { version: 'unreadable package.json', dir: path.dirname(file) };
    }
  }
  return undefined;
}

function realNodeBinaries(dir: string): { bindingPath?: string; libtensorflowPath?: string } {
  const out: { bindingPath?: string; libtensorflowPath?: string } = {};
  const libDir = path.join(dir, 'lib');
  const candidates = [path.join(dir, 'deps', 'lib')];
  for (const sub of safeList(libDir)) if (sub.startsWith('napi-v')) candidates.push(path.join(libDir, sub));
  for (const d of candidates) {
    for (const f of safeList(d)) {
      if (f === 'tfjs_binding.node' && !out.bindingPath) out.bindingPath = path.join(d, f);
      if (/^libtensorflow\.so(\.\d+)*$/.test(f) && !out.libtensorflowPath) out.libtensorflowPath = path.join(d, f);
    }
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

const CHILD_MARK = '@@TFJS_RNN_DOCTOR@@';

/** The script the child process runs: load, report, run one op, report again. */
function childScript(pkg: string): string {
  return `
const mark = ${JSON.stringify(CHILD_MARK)};
const out = { loaded: false };
const emit = () => process.stdout.write('\\n' + mark + JSON.stringify(out) + '\\n');
let tf;
try {
  tf = require(${JSON.stringify(pkg)});
  out.loaded = true;
  const b = tf.engine().findBackend('tensorflow') || {};
  out.isUsingGpuDevice = b.isUsingGpuDevice === true;
} catch (e) {
  out.error = String((e && e.stack) || e);
  out.errorCode = e && e.code;
}
emit();
if (out.loaded) {
  try {
    const t0 = Date.now();
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
    out.opValues = Array.from(y.dataSync());
    out.opMs = Date.now() - t0;
  } catch (e) {
    out.error = String((e && e.stack) || e);
  }
  emit();
}
`;
}

/**
 * Loads a tfjs-node package in a child process (cwd decides where it resolves from): a crash, an
 * abort or a 30-minute PTX JIT cannot take the doctor down, and TensorFlow's own log (stderr, with
 * TF_CPP_MIN_LOG_LEVEL=0) says which CUDA library it could not open.
 */
export function loadNodePackageInChild(
  pkg: string,
  opts: { cwd?: string; timeoutMs?: number } = {},
): ChildLoadResult {
  const timeoutMs = opts.timeoutMs ?? 180000;
  {
    const r = spawnSync(process.execPath, ['-e', childScript(pkg)], {
      cwd: opts.cwd ?? projectRoot(),
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0' },
    });
    let result: Partial<ChildLoadResult> = {};
    for (const line of (r.stdout ?? '').split('\n')) {
      if (line.startsWith(CHILD_MARK)) result = JSON.parse(line.slice(CHILD_MARK.length)) as Partial<ChildLoadResult>;
    }
    const timedOut = r.error !== undefined && /ETIMEDOUT/.test(String(r.error)) || r.signal === 'SIGTERM';
    const crashed = result.loaded === undefined
      ? `the child process ${timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${r.signal ?? r.status}`} before reporting`
      : undefined;
    return {
      loaded: result.loaded === true,
      error: result.error ?? crashed ?? (timedOut ? `timed out after ${timeoutMs} ms` : undefined),
      errorCode: result.errorCode,
      isUsingGpuDevice: result.isUsingGpuDevice,
      opValues: result.opValues,
      opMs: result.opMs,
      timedOut,
      stderr: r.stderr ?? '',
    };
  }
}

function realLdconfig(): string | undefined {
  for (const cmd of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      return execFileSync(cmd, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 });
    } catch {
      // try the next path
    }
  }
  return undefined;
}

function realNvidiaSmi(): { found: boolean; stdout?: string; error?: string } {
  const query = ['--query-gpu=name,driver_version,compute_cap,memory.total', '--format=csv,noheader'];
  const run = (args: string[]): { stdout?: string; error?: string; notFound?: boolean } => {
    try {
      return { stdout: execFileSync('nvidia-smi', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 }) };
    } catch (e) {
      const err = e as { code?: string; stdout?: string; stderr?: string; message: string };
      if (err.code === 'ENOENT') return { notFound: true };
      return { error: `${(err.stdout ?? '').trim()} ${(err.stderr ?? '').trim()}`.trim() || err.message };
    }
  };
  let r = run(query);
  if (r.notFound) return { found: false };
  // Drivers older than 510 do not know compute_cap.
  if (r.error && /compute_cap/.test(r.error)) {
    r = run(['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
    if (r.stdout) r.stdout = r.stdout.split('\n').map((l) => { const p = l.split(','); return p.length === 3 ? [p[0], p[1], '[N/A]', p[2]].join(',') : l; }).join('\n');
  }
  return { found: true, stdout: r.stdout, error: r.error };
}

async function realProbeWebGPU(): Promise<WebGPUProbe> {
  const mod = require('./webgpu') as { probeWebGPU(): Promise<WebGPUProbe> };
  return mod.probeWebGPU();
}

async function realCheckBackend(name: BackendName): Promise<BackendCheckFact> {
  try {
    const info = await initBackend(name);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])));
    const v = Array.from(await y.data());
    y.dispose();
    const ok = [19, 22, 43, 50].every((e, i) => Math.abs(v[i] - e) < 1e-4);
    return {
      backend: name,
      ok,
      package: info.package,
      version: info.version,
      summary: info.summary,
      details: info.details,
      error: ok ? undefined : `matMul test gave [${v.join(', ')}], expected [19, 22, 43, 50]`,
    };
  } catch (e) {
    return { backend: name, ok: false, error: errorMessage(e) };
  }
}

export interface RealProbeOptions {
  /** Limit for the child process that loads tfjs-node(-gpu), first op included (ms). */
  childTimeoutMs?: number;
}

/** The probes that look at this machine. */
export function realProbes(opts: RealProbeOptions = {}): DoctorProbes {
  return {
    packageInfo: realPackageInfo,
    nodeBinaries: realNodeBinaries,
    loadNodePackage: async (pkg) => loadNodePackageInChild(pkg, { timeoutMs: opts.childTimeoutMs }),
    ldconfig: realLdconfig,
    listDir: safeList,
    nvidiaSmi: realNvidiaSmi,
    probeWebGPU: realProbeWebGPU,
    checkBackend: realCheckBackend,
    env: process.env,
  };
}

/** Names accepted by the doctor's --backend. */
export const DOCTOR_BACKENDS = [...BACKEND_NAMES, 'auto'] as const;
