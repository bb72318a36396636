/** The vocabulary of backend selection: names, what each candidate did, what initBackend returns. */

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

/** One step of the selection: a backend reached through one package. */
export type CandidateId = 'tensorflow-gpu' | 'webgpu' | 'tensorflow-cpu' | 'wasm' | 'cpu';

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
  /** One line for logs and output files, every reason in full. */
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
