/**
 * The doctor's data: the facts collected from the machine, and the report diagnose() makes of them
 * (findings with fixes, the auto choice, the exit code). Plain data, so `--json` can print it.
 */
import type { BackendName, BackendRequest, CandidateId } from '../backend/types';
import type { LibraryFact } from '../system';
import type { WebGPUProbe } from '../webgpu/types';
import type { RuntimeDirChange } from '../webgpu/runtime_dir';

export type { LibraryFact };

export interface PackageFact {
  name: string;
  /** undefined when not installed. */
  version?: string;
  dir?: string;
  optional: boolean;
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
  /** The GPU device nodes (/dev/dri/*, /dev/nvidia*, /dev/dxg): without one, auto never loads Dawn. */
  gpuDeviceNodes: string[];
  env: Record<string, string | undefined>;
  /** XDG_RUNTIME_DIR as tfjs-rnn changed it for Dawn (webgpu/runtime_dir.ts); absent or null: unchanged. */
  runtimeDir?: RuntimeDirChange | null;
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
  gpuDeviceNodes(): string[];
  checkBackend(name: BackendName): Promise<BackendCheckFact>;
  env: NodeJS.ProcessEnv;
  /** What webgpu/runtime_dir.ts changed in this process (optional: fakes may leave it out). */
  runtimeDirChange?(): RuntimeDirChange | null;
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
