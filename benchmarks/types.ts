/**
 * The shapes of what the benchmark suite reads and writes: its options, one result, one backend's
 * report (the JSON files), the outcome of a run. Types only; every module of benchmarks/ takes
 * them from here.
 */
import type { CellName } from './cells';
import type { ShapeSpec } from './shapes';

export type Kind = 'forward' | 'train';

export interface BenchOptions {
  /** Backends to run; undefined: every one of cpu, wasm, webgpu that loads here. */
  backends?: string[];
  /** The cells to benchmark, one after another, each into its own files. */
  cells: CellName[];
  /** undefined: each cell's default shapes (cellShapes in cells.ts). */
  shapes?: ShapeSpec[];
  reps: number;
  warmup: number;
  budgetS: number;
  outDir: string;
  /** Which implementation families (ours, autodiff, naive, tf.layers, torch). */
  families: string[];
  /** 'auto': run torch when python3 can import it. */
  torch: 'auto' | 'off';
  torchThreads: number;
  python?: string;
  profileT: number;
  quick: boolean;
  /** Run the model.fit() comparison (fit.ts) instead of the cell benchmarks. */
  fit?: boolean;
  /** --fit: dropout and recurrentDropout of both layers (training-time masks). */
  dropout?: number;
  seed: number;
  /** No progress lines. */
  quiet: boolean;
}

/** The options of one cell's run: the cell and its shapes fixed. */
export interface CellRunOptions extends Omit<BenchOptions, 'cells' | 'shapes'> {
  cell: CellName;
  shapes: ShapeSpec[];
}

/** The options as a report records them. */
export type ReportedOptions = Omit<CellRunOptions, 'outDir' | 'quiet'>;

export interface Stat {
  median: number;
  min: number;
  max: number;
  reps: number;
  samplesMs: number[];
}

export interface KernelCount {
  /** Kernels per time step of this call, (k(T2) − k(T1)) / (T2 − T1). */
  perStep: number;
  /**
   * perStep counting only launches: registered kernels other than Reshape and Identity (no-ops on a
   * GPU); op-scope entries such as 'fusedMatMul__op' (a tf.customGrad wrapper, not a kernel) are
   * left out too. Targets for a cell's launches per step are about this count.
   */
  launchesPerStep: number;
  byName: Record<string, number>;
  lengths: [number, number];
  /** Kernels of the whole call at T1 (fixed + per-step). */
  atT1: number;
}

export interface Result {
  backend: string;
  shape: string;
  B: number;
  T: number;
  D: number;
  H: number;
  impl: string;
  family: string;
  kind: Kind;
  what: string;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  ms?: Stat;
  seqPerSec?: number;
  gflopPerCall: number;
  gflops?: number;
  /** The backend's plain-matMul GFLOP/s for this shape's products, measured in this run. */
  matmulGflops?: number;
  fractionOfMatmul?: number;
  kernels?: KernelCount;
  /**
   * Kernel launches per time step (KernelCount.launchesPerStep), forward and backward (training
   * impls: their count minus their forward partner's).
   */
  kernelsPerStepForward?: number;
  kernelsPerStepBackward?: number;
  /** Peak tensor bytes above what was live before the call (tf.profile, real T). */
  peakBytes?: number;
}

export interface MatmulCeiling {
  /** [rows, D] x [D, G·H], rows = B·T or fewer when capped. */
  projection: { rows: number; ms: number; gflops: number };
  /** calls × [B, H] x [H, G·H]. */
  recurrent: { calls: number; msPerCall: number; gflops: number };
  /**
   * The roofline: the better of the two plain-matMul rates. (Forward FLOPs over the two measured
   * times would be lower, and noise in the projection's measurement could let a cell that runs
   * the same matMuls faster exceed it.)
   */
  gflops: number;
  /** The ceiling is measured before and after the shape's implementations; this is the better. */
  measuredGflops?: number[];
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemGiB: number;
  platform: string;
  node: string;
  tfjs: string;
  loadAvgStart: number[];
  loadAvgEnd?: number[];
}

export interface BackendReport {
  schema: 'tfjs-rnn-bench/1';
  backend: string;
  cell: CellName;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  backendInfo: { summary: string; package: string; version: string; details: Record<string, unknown> };
  options: ReportedOptions;
  matmul: Record<string, MatmulCeiling>;
  results: Result[];
  /** Live tensors left after a shape's impls were disposed (should be 0). */
  leakedTensors: Record<string, number>;
}

/** Something asked for that did not run here, and why. */
export interface NotRun {
  /** A backend name, 'torch', or an implementation family such as 'ours'. */
  what: string;
  reason: string;
}

export interface BenchOutcome {
  reports: BackendReport[];
  /** Backends (and torch) that were asked for, or tried by default, and did not load, with why. */
  unavailable: NotRun[];
  files: string[];
}
