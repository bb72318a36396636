/**
 * The benchmark suite of issue 5: implementations × backends × shapes, in one run.
 *
 *   npm run bench                                  all backends that load (cpu, wasm, webgpu), S1–S4
 *   npm run bench -- --quick                       S1 + S2, 3 reps (< 5 min on 2 cores, cpu + wasm)
 *   npm run bench -- --backend wasm --shapes S3,S4 --reps 7
 *   npm run bench -- --shapes B32xT250xD32xH100    a custom shape
 *
 * For each backend and shape: the plain-matMul ceiling (the roofline), then every implementation
 * (see impls.ts, and torch.nn.RNN when python3 can import torch): warm-up, then repetitions taken
 * round-robin across implementations so machine noise hits all alike; the clock stops after the
 * outputs are read back (`await data()`). Then tf.profile at two sequence lengths for kernels per
 * time step, and at the real length for peak tensor memory. Combinations whose estimated time
 * exceeds --budget are skipped and listed as skipped.
 *
 * Writes to --out (default benchmarks/results): <backend>-<date>.json per backend (and
 * torch-<date>.json), latest.md (tables + ratios), latest.svg (seq/s chart), ratios.svg.
 * A --quick run writes the same names with a -quick suffix, so it never overwrites a full run.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import writeFileAtomic from 'write-file-atomic';
import { BACKEND_ENV_VAR, initBackend, parseBackendName } from '../src/backend';
import { assertNoWebGPUErrors } from '../src/webgpu';
import { seededTensor, median } from './bench_utils';
import { FAMILIES, flopsOf, forwardFlops, forwardPartner, Impl, Kind, makeImpls, ShapeSpec } from './impls';
import { writeChart, writeMarkdown } from './report';

// ---- config ------------------------------------------------------------------------------------
export const SHAPES: Record<string, ShapeSpec> = {
  S1: { name: 'S1', B: 1, T: 100, D: 32, H: 64 },
  S2: { name: 'S2', B: 32, T: 250, D: 32, H: 100 },
  S3: { name: 'S3', B: 64, T: 100, D: 128, H: 256 },
  S4: { name: 'S4', B: 256, T: 50, D: 256, H: 512 },
};
const DEFAULT_BACKENDS = ['cpu', 'wasm', 'webgpu'];
const DEFAULTS = {
  reps: 5, // timed repetitions per implementation (fewer when the budget says so)
  warmup: 2, // untimed calls first (1 when one call is already slow)
  budgetS: 60, // seconds allowed per implementation × shape × backend, warm-up and profiling included
  profileT: 10, // kernel counting at T1 = min(T, profileT) and 2·T1 steps
  seed: 1, // weights and inputs
  torchThreads: 1, // torch.set_num_threads: 1 matches wasm's single thread in Node
};
const QUICK = { shapes: ['S1', 'S2'], reps: 5, warmup: 1, budgetS: 30 };
// -------------------------------------------------------------------------------------------------

export interface BenchOptions {
  /** Backends to run; undefined: every one of cpu, wasm, webgpu that loads here. */
  backends?: string[];
  shapes: ShapeSpec[];
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
  seed: number;
  /** No progress lines. */
  quiet: boolean;
}

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
   * left out too. This is the count the targets (≤ 3 forward, ≤ 6 backward) are about.
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
  /** [rows, D] x [D, H], rows = B·T or fewer when capped. */
  projection: { rows: number; ms: number; gflops: number };
  /** calls × [B, H] x [H, H]. */
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
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  backendInfo: { summary: string; package: string; version: string; details: Record<string, unknown> };
  options: Omit<BenchOptions, 'outDir' | 'quiet'>;
  matmul: Record<string, MatmulCeiling>;
  results: Result[];
  /** Live tensors left after a shape's impls were disposed (should be 0). */
  leakedTensors: Record<string, number>;
}

export interface BenchOutcome {
  reports: BackendReport[];
  /** Backends that were asked for (or tried by default) and did not load, with why. */
  unavailable: { backend: string; reason: string }[];
  files: string[];
}

// ---- command line ---------------------------------------------------------------------------------

export function parseShape(spec: string): ShapeSpec {
  const named = SHAPES[spec.toUpperCase()];
  if (named) return named;
  const m = /^B(\d+)xT(\d+)xD(\d+)xH(\d+)$/i.exec(spec);
  if (!m) throw new Error(`expected a shape S1..S4 or like B32xT250xD32xH100, got '${spec}'`);
  const [B, T, D, H] = m.slice(1).map(Number);
  if ([B, T, D, H].some((n) => n < 1)) throw new Error(`expected positive sizes in '${spec}'`);
  return { name: `B${B}xT${T}xD${D}xH${H}`, B, T, D, H };
}

export function parseArgs(argv: string[]): BenchOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`expected a value after --${name}`);
    return v;
  };
  const known = ['backend', 'shapes', 'reps', 'warmup', 'budget', 'out', 'impls', 'python', 'profile-t', 'seed', 'torch-threads'];
  const flags = ['quick', 'no-torch', 'quiet', 'help'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const name = a.slice(2);
    if (known.includes(name)) i++;
    else if (!flags.includes(name)) throw new Error(`unknown option ${a}; expected one of ${[...known, ...flags].map((f) => '--' + f).join(' ')}`);
  }
  if (argv.includes('--help')) {
    console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
    process.exit(0);
  }
  const quick = argv.includes('--quick');
  const num = (name: string, dflt: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number for --${name}, got '${v}'`);
    return n;
  };
  const backendArg = get('backend');
  const shapeArg = get('shapes');
  const families = (get('impls') ?? [...FAMILIES, 'torch'].join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of families) {
    if (![...FAMILIES, 'torch'].includes(f)) throw new Error(`expected --impls from ${[...FAMILIES, 'torch'].join(',')}, got '${f}'`);
  }
  return {
    // --backend a,b or TFJS_RNN_BACKEND; names checked up front (an unknown one is an error).
    backends: (backendArg ?? process.env[BACKEND_ENV_VAR])
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => parseBackendName(s)),
    shapes: (shapeArg ? shapeArg.split(',') : quick ? QUICK.shapes : Object.keys(SHAPES)).map((s) => parseShape(s.trim())),
    reps: Math.round(num('reps', quick ? QUICK.reps : DEFAULTS.reps)),
    warmup: Math.round(num('warmup', quick ? QUICK.warmup : DEFAULTS.warmup)),
    budgetS: num('budget', quick ? QUICK.budgetS : DEFAULTS.budgetS),
    outDir: get('out') ?? path.join(__dirname, 'results'),
    families,
    torch: argv.includes('--no-torch') ? 'off' : 'auto',
    torchThreads: Math.round(num('torch-threads', DEFAULTS.torchThreads)),
    python: get('python'),
    profileT: Math.round(num('profile-t', DEFAULTS.profileT)),
    quick,
    seed: Math.round(num('seed', DEFAULTS.seed)),
    quiet: argv.includes('--quiet'),
  };
}

// ---- measuring -----------------------------------------------------------------------------------

/** One timed call: run, read every output back, stop the clock. */
async function timeCall(impl: Impl, x: tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const outs = impl.run(x);
  await Promise.all(outs.map((o) => o.data()));
  const dt = performance.now() - t0;
  tf.dispose(outs);
  return dt;
}

function stat(samples: number[]): Stat {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), reps: samples.length, samplesMs: samples };
}

/**
 * Best time of fn (a roofline is a best case): 2 warm-up calls, then at least 3 timed calls and
 * more while they add up to under 100 ms (at most 30).
 */
async function bestMs(fn: () => tf.Tensor[]): Promise<number> {
  const ts: number[] = [];
  let total = 0;
  for (let r = 0; r < 32 && (r < 5 || total < 100); r++) {
    const t0 = performance.now();
    const outs = fn();
    await outs[outs.length - 1].data();
    const dt = performance.now() - t0;
    tf.dispose(outs);
    if (r >= 2) {
      ts.push(dt);
      total += dt;
    }
  }
  return Math.min(...ts);
}

/**
 * The plain-matMul roofline of shape s on the active backend: [B·T, D]x[D, H] and T × [B, H]x[H, H],
 * no transpose flags, best of several calls. Work is capped (fewer rows / calls) so a slow backend
 * measures in seconds; the times are scaled back to the full shape.
 */
async function matmulCeiling(s: ShapeSpec, flopCap: number): Promise<MatmulCeiling> {
  const { B, T, D, H } = s;
  const rows = Math.max(1, Math.min(B * T, Math.ceil(flopCap / (2 * D * H))));
  const calls = Math.max(1, Math.min(T, Math.ceil(flopCap / (2 * B * H * H))));
  const X = seededTensor([rows, D], 91); // [rows, D]
  const W = seededTensor([D, H], 92); // [D, H]
  const h = seededTensor([B, H], 93); // [B, H]
  const U = seededTensor([H, H], 94); // [H, H]
  const projMs = await bestMs(() => [tf.matMul(X, W)]);
  const recMs = await bestMs(() => Array.from({ length: calls }, () => tf.matMul(h, U)));
  tf.dispose([X, W, h, U]);
  const projFull = projMs * ((B * T) / rows);
  const recPerCall = recMs / calls;
  return {
    projection: { rows, ms: projMs, gflops: (2 * rows * D * H) / projMs / 1e6 },
    recurrent: { calls, msPerCall: recPerCall, gflops: (2 * B * H * H) / recPerCall / 1e6 },
    gflops: Math.max((2 * rows * D * H) / projMs / 1e6, (2 * B * H * H) / recPerCall / 1e6),
  };
}

/** The better of two ceiling measurements, component by component (noise only ever slows). */
function bestCeiling(s: ShapeSpec, a: MatmulCeiling, b: MatmulCeiling): MatmulCeiling {
  const projection = a.projection.gflops >= b.projection.gflops ? a.projection : b.projection;
  const recurrent = a.recurrent.gflops >= b.recurrent.gflops ? a.recurrent : b.recurrent;
  return { projection, recurrent, gflops: Math.max(projection.gflops, recurrent.gflops), measuredGflops: [a.gflops, b.gflops] };
}

function countByName(kernels: { name: string }[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const k of kernels) c[k.name] = (c[k.name] ?? 0) + 1;
  return c;
}

const NO_LAUNCH = new Set(['Reshape', 'Identity']);

/** Whether a tf.profile entry is a kernel launch on the active backend (see KernelCount). */
export function isLaunch(name: string): boolean {
  return !NO_LAUNCH.has(name) && tf.getKernel(name, tf.getBackend()) !== undefined;
}

async function kernelsPerStep(impl: Impl, s: ShapeSpec, profileT: number): Promise<KernelCount> {
  const T1 = Math.min(s.T, profileT);
  const T2 = 2 * T1;
  const counts: Record<string, number>[] = [];
  for (const [i, T] of [T1, T2].entries()) {
    const x = seededTensor([s.B, T, s.D], 200 + i); // [B, T, D]
    const info = await tf.profile(() => impl.run(x));
    tf.dispose(info.result as tf.Tensor[]);
    x.dispose();
    counts.push(countByName(info.kernels));
  }
  const byName: Record<string, number> = {};
  for (const name of new Set([...Object.keys(counts[0]), ...Object.keys(counts[1])])) {
    const d = ((counts[1][name] ?? 0) - (counts[0][name] ?? 0)) / (T2 - T1);
    if (d !== 0) byName[name] = d;
  }
  const sum = (o: Record<string, number>, keep: (name: string) => boolean = () => true): number =>
    Object.entries(o).reduce((n, [k, v]) => n + (keep(k) ? v : 0), 0);
  return {
    perStep: sum(byName),
    launchesPerStep: sum(byName, isLaunch),
    byName,
    lengths: [T1, T2],
    atT1: sum(counts[0]),
  };
}

async function peakBytes(impl: Impl, x: tf.Tensor): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => impl.run(x));
  tf.dispose(info.result as tf.Tensor[]);
  return Math.max(0, info.peakBytes - before);
}

function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    loadAvgStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

type Log = (line: string) => void;

/** Times every implementation on one shape on the active backend. */
async function benchShape(backend: string, s: ShapeSpec, ceiling: MatmulCeiling, opts: BenchOptions, log: Log): Promise<Result[]> {
  const set = makeImpls(s, opts.seed, opts.families);
  const x = seededTensor([s.B, s.T, s.D], opts.seed + 1); // [B, T, D]
  const budgetMs = opts.budgetS * 1000;
  const base = (impl: Impl): Result => ({
    backend, shape: s.name, B: s.B, T: s.T, D: s.D, H: s.H,
    impl: impl.id, family: impl.family, kind: impl.kind, what: impl.what, status: 'ok',
    gflopPerCall: flopsOf(s, impl.kind) / 1e9, matmulGflops: ceiling.gflops,
  });
  const results = new Map<string, Result>();
  const reps = new Map<string, number>();
  const samples = new Map<string, number[]>();
  const spent = new Map<string, number>();
  try {
    // Warm-up and the plan: how many reps fit the budget.
    for (const impl of set.impls) {
      const r = base(impl);
      results.set(impl.id, r);
      const floorMs = (flopsOf(s, impl.kind) / (ceiling.gflops * 1e9)) * 1000; // at the matmul ceiling
      if (floorMs * 3 > budgetMs) {
        r.status = 'skipped';
        r.reason = `estimated ≥ ${(floorMs / 1000).toFixed(1)} s per call at the matmul ceiling; ×3 (warm-up, 1 rep, profile) exceeds the ${opts.budgetS} s budget`;
        log(`  ${impl.id.padEnd(18)} SKIPPED: ${r.reason}`);
        continue;
      }
      try {
        let first = await timeCall(impl, x);
        let used = first;
        for (let w = 1; w < opts.warmup && used + first < budgetMs / 4; w++) {
          first = await timeCall(impl, x); // the later warm-up is the better estimate
          used += first;
        }
        const n = Math.max(1, Math.min(opts.reps, Math.floor((budgetMs - used - 2 * first) / first)));
        if (used + (n + 2) * first > budgetMs * 1.5) {
          r.status = 'skipped';
          r.reason = `warm-up took ${(first / 1000).toFixed(1)} s per call; 1 rep + profiling exceeds the ${opts.budgetS} s budget`;
          log(`  ${impl.id.padEnd(18)} SKIPPED: ${r.reason}`);
          continue;
        }
        reps.set(impl.id, n);
        samples.set(impl.id, []);
        spent.set(impl.id, used);
      } catch (e) {
        r.status = 'error';
        r.reason = (e as Error).message;
        log(`  ${impl.id.padEnd(18)} ERROR: ${r.reason}`);
      }
    }
    // Timed repetitions, round-robin.
    const maxReps = Math.max(0, ...reps.values());
    for (let k = 0; k < maxReps; k++) {
      for (const impl of set.impls) {
        if ((reps.get(impl.id) ?? 0) <= k) continue;
        samples.get(impl.id)!.push(await timeCall(impl, x));
      }
    }
    // Statistics, kernels per step, peak memory.
    for (const impl of set.impls) {
      const r = results.get(impl.id)!;
      if (r.status !== 'ok') continue;
      const st = stat(samples.get(impl.id)!);
      r.ms = st;
      r.seqPerSec = s.B / (st.median / 1000);
      r.gflops = (flopsOf(s, impl.kind) / 1e9) / (st.median / 1000);
      r.fractionOfMatmul = r.gflops / ceiling.gflops;
      try {
        r.kernels = await kernelsPerStep(impl, s, opts.profileT);
        r.peakBytes = await peakBytes(impl, x);
      } catch (e) {
        r.reason = `profiling failed: ${(e as Error).message}`;
      }
      log(
        `  ${impl.id.padEnd(18)} ${st.median.toFixed(1).padStart(9)} ms  (min ${st.min.toFixed(1)}, max ${st.max.toFixed(1)}, ${st.reps} reps)` +
          `  ${r.seqPerSec.toFixed(1)} seq/s  ${r.gflops.toFixed(2)} GFLOP/s = ${(100 * r.fractionOfMatmul).toFixed(0)}% of matmul` +
          (r.kernels ? `  ${r.kernels.launchesPerStep.toFixed(1)} launches/step` : ''),
      );
    }
  } finally {
    x.dispose();
    set.dispose();
  }
  // Forward / backward kernels per step.
  for (const r of results.values()) {
    if (!r.kernels) continue;
    if (r.kind === 'forward') {
      r.kernelsPerStepForward = r.kernels.launchesPerStep;
    } else {
      const partnerId = forwardPartner(set.impls.find((i) => i.id === r.impl)!);
      const partner = partnerId ? results.get(partnerId) : undefined;
      if (partner?.kernels) {
        r.kernelsPerStepForward = partner.kernels.launchesPerStep;
        r.kernelsPerStepBackward = r.kernels.launchesPerStep - partner.kernels.launchesPerStep;
      }
    }
  }
  return [...results.values()];
}

// ---- torch ---------------------------------------------------------------------------------------

interface TorchRun {
  torch: string;
  threads: number;
  blas: string;
  results: { shape: string; kind: Kind; samplesMs: number[] }[];
}

function findTorchPython(preferred?: string): { python: string } | { reason: string } {
  const candidates = preferred ? [preferred] : [process.env.TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120000 });
    if (r.status === 0) return { python: py };
    tried.push(`${py}: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`);
  }
  return { reason: `no python with torch (${tried.join('; ')})` };
}

function runTorch(opts: BenchOptions, python: string, log: Log): TorchRun {
  const script = path.join(__dirname, 'torch_rnn.py');
  const cfg = { shapes: opts.shapes, reps: opts.reps, warmup: opts.warmup, budget_s: opts.budgetS / 2, threads: opts.torchThreads };
  const r = spawnSync(python, [script, JSON.stringify(cfg)], {
    encoding: 'utf8',
    timeout: opts.budgetS * 1000 * opts.shapes.length * 2 + 60000,
    env: { ...process.env, OMP_NUM_THREADS: String(opts.torchThreads), OPENBLAS_NUM_THREADS: String(opts.torchThreads) },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`torch_rnn.py failed (${r.error?.message ?? 'exit ' + r.status}): ${(r.stderr || '').trim().slice(-500)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as TorchRun;
  log(`  torch ${out.torch}, ${out.threads} thread(s), BLAS: ${out.blas}`);
  return out;
}

function torchReport(run: TorchRun, opts: BenchOptions, machine: MachineInfo, date: string, startedAt: string): BackendReport {
  const results: Result[] = run.results.map((t) => {
    const s = opts.shapes.find((x) => x.name === t.shape)!;
    const st = stat(t.samplesMs);
    const gflops = flopsOf(s, t.kind) / 1e9 / (st.median / 1000);
    return {
      backend: 'torch', shape: s.name, B: s.B, T: s.T, D: s.D, H: s.H,
      impl: `torch/${t.kind}`, family: 'torch', kind: t.kind,
      what: t.kind === 'forward' ? 'torch.nn.RNN forward (no_grad)' : 'torch.nn.RNN forward + sum().backward()',
      status: 'ok', ms: st, seqPerSec: s.B / (st.median / 1000), gflopPerCall: flopsOf(s, t.kind) / 1e9, gflops,
    };
  });
  return {
    schema: 'tfjs-rnn-bench/1', backend: 'torch', date, startedAt, finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAvgEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    backendInfo: { summary: `torch ${run.torch} (cpu, ${run.threads} thread(s)); ${run.blas}`, package: 'torch', version: run.torch, details: { threads: run.threads, blas: run.blas } },
    options: optionsForReport(opts), matmul: {}, results, leakedTensors: {},
  };
}

function optionsForReport(opts: BenchOptions): Omit<BenchOptions, 'outDir' | 'quiet'> {
  const { outDir: _o, quiet: _q, ...rest } = opts;
  return rest;
}

// ---- the run -------------------------------------------------------------------------------------

export async function runBench(opts: BenchOptions): Promise<BenchOutcome> {
  const log: Log = opts.quiet ? () => undefined : (line) => console.log(line);
  const date = new Date().toISOString().slice(0, 10);
  const suffix = opts.quick ? '-quick' : '';
  const machine = machineInfo();
  const reports: BackendReport[] = [];
  const unavailable: { backend: string; reason: string }[] = [];
  const files: string[] = [];
  fs.mkdirSync(opts.outDir, { recursive: true });
  log(`tfjs-rnn bench: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, tfjs ${machine.tfjs}, load ${machine.loadAvgStart.join(' ')}`);
  log(`shapes ${opts.shapes.map((s) => s.name).join(', ')}; reps ${opts.reps}; warm-up ${opts.warmup}; budget ${opts.budgetS} s per combination`);

  const tfFamilies = opts.families.filter((f) => f !== 'torch');
  for (const backend of opts.backends ?? DEFAULT_BACKENDS) {
    let info;
    try {
      info = await initBackend(backend);
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0];
      unavailable.push({ backend, reason });
      log(`\n[${backend}] not available here: ${reason}`);
      continue;
    }
    const adapter = info.details.adapter as { isSoftware?: boolean } | undefined;
    if (opts.backends === undefined && info.backend === 'webgpu' && adapter?.isSoftware) {
      // A software adapter (Mesa lavapipe) runs S1 in seconds and S4 in hours: only when asked by name.
      const reason = `software adapter only (${info.summary}); run it with --backend webgpu`;
      unavailable.push({ backend, reason });
      log(`\n[${backend}] skipped by default: ${reason}`);
      continue;
    }
    if (tfFamilies.length === 0) break;
    const startedAt = new Date().toISOString();
    log(`\n[${backend}] ${info.summary}`);
    const report: BackendReport = {
      schema: 'tfjs-rnn-bench/1', backend, date, startedAt, finishedAt: '', machine,
      backendInfo: { summary: info.summary, package: info.package, version: info.version, details: info.details },
      options: optionsForReport(opts), matmul: {}, results: [], leakedTensors: {},
    };
    const flopCap = backend === 'cpu' ? 3e8 : 3e9;
    for (const s of opts.shapes) {
      const before = tf.memory().numTensors;
      const first = await matmulCeiling(s, flopCap);
      log(`[${backend} ${s.name}] B${s.B} T${s.T} D${s.D} H${s.H}: plain matMul ${first.gflops.toFixed(2)} GFLOP/s` +
        ` (projection ${first.projection.gflops.toFixed(2)}, recurrent ${first.recurrent.gflops.toFixed(2)})`);
      const results = await benchShape(backend, s, first, { ...opts, families: tfFamilies }, log);
      const ceiling = bestCeiling(s, first, await matmulCeiling(s, flopCap));
      for (const r of results) {
        r.matmulGflops = ceiling.gflops;
        if (r.gflops !== undefined) r.fractionOfMatmul = r.gflops / ceiling.gflops;
      }
      log(`  plain matMul again after: ${ceiling.measuredGflops![1].toFixed(2)} GFLOP/s; the % of matMul uses the better, ${ceiling.gflops.toFixed(2)}`);
      report.matmul[s.name] = ceiling;
      report.results.push(...results);
      const leaked = tf.memory().numTensors - before;
      report.leakedTensors[s.name] = leaked;
      if (leaked !== 0) log(`  WARNING: ${leaked} tensors leaked on ${s.name}`);
    }
    if (info.backend === 'webgpu') await assertNoWebGPUErrors(); // a Dawn validation error is an error
    report.finishedAt = new Date().toISOString();
    report.machine = { ...machine, loadAvgEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) };
    const file = path.join(opts.outDir, `${backend}-${date}${suffix}.json`);
    writeFileAtomic.sync(file, JSON.stringify(report, null, 1) + '\n');
    files.push(file);
    reports.push(report);
  }

  if (opts.families.includes('torch') && opts.torch !== 'off') {
    const found = findTorchPython(opts.python);
    if ('reason' in found) {
      unavailable.push({ backend: 'torch', reason: found.reason });
      log(`\n[torch] skipped: ${found.reason}`);
    } else {
      log(`\n[torch] ${found.python}`);
      const startedAt = new Date().toISOString();
      try {
        const rep = torchReport(runTorch(opts, found.python, log), opts, machine, date, startedAt);
        for (const r of rep.results) {
          log(`  ${(r.shape + ' ' + r.impl).padEnd(22)} ${r.ms!.median.toFixed(1).padStart(9)} ms  (min ${r.ms!.min.toFixed(1)}, max ${r.ms!.max.toFixed(1)})  ${r.seqPerSec!.toFixed(1)} seq/s  ${r.gflops!.toFixed(2)} GFLOP/s`);
        }
        const file = path.join(opts.outDir, `torch-${date}${suffix}.json`);
        writeFileAtomic.sync(file, JSON.stringify(rep, null, 1) + '\n');
        files.push(file);
        reports.push(rep);
      } catch (e) {
        unavailable.push({ backend: 'torch', reason: (e as Error).message });
        log(`[torch] failed: ${(e as Error).message}`);
      }
    }
  }

  const md = path.join(opts.outDir, `latest${suffix}.md`);
  writeFileAtomic.sync(md, writeMarkdown(reports, unavailable, machine, opts));
  files.push(md);
  files.push(...(await writeChart(reports, opts.outDir, suffix)));
  log(`\nwrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  return { reports, unavailable, files };
}

if (require.main === module) {
  const t0 = performance.now();
  let opts: BenchOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)} (npm run bench -- --help for the options)`);
    process.exit(2);
  }
  runBench(opts)
    .then((outcome) => {
      console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      // A backend asked for by name that could not run is an error, not a silent skip.
      const failed = opts.backends === undefined ? [] : outcome.unavailable.filter((u) => u.backend !== 'torch');
      for (const u of failed) console.error(`error: backend '${u.backend}' was asked for and cannot run: ${u.reason}`);
      if (failed.length > 0) process.exit(1);
    })
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
