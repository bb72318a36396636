/**
 * Every implementation of one cell on one shape, on the active backend: warm-up and a plan of how
 * many repetitions fit the budget, repetitions taken round-robin across implementations (so
 * machine noise hits all alike), then statistics, kernels per time step and peak memory.
 */
import { seededTensor } from '../src/testing';
import type { CellBench } from './cells';
import { flopsOf } from './flops';
import { forwardPartner, Impl, makeImpls } from './impls';
import { kernelsPerStep, peakBytes } from './kernels';
import type { ShapeSpec } from './shapes';
import { stat, timeCall } from './timing';
import type { CellRunOptions, MatmulCeiling, Result } from './types';

export type Log = (line: string) => void;

type ShapeOptions = Pick<CellRunOptions, 'seed' | 'families' | 'budgetS' | 'warmup' | 'reps' | 'profileT'>;

/** Times every implementation of `cell` that opts.families asks for on shape s. */
export async function benchShape(backend: string, cell: CellBench, s: ShapeSpec, ceiling: MatmulCeiling, opts: ShapeOptions, log: Log): Promise<Result[]> {
  const set = makeImpls(cell, s, opts.seed, opts.families);
  const x = seededTensor([s.B, s.T, s.D], opts.seed + 1); // [B, T, D]
  const budgetMs = opts.budgetS * 1000;
  const flops = (impl: Impl): number => flopsOf(s, impl.kind, cell.gates);
  const base = (impl: Impl): Result => ({
    backend, shape: s.name, B: s.B, T: s.T, D: s.D, H: s.H,
    impl: impl.id, family: impl.family, kind: impl.kind, what: impl.what, status: 'ok',
    gflopPerCall: flops(impl) / 1e9, matmulGflops: ceiling.gflops,
  });
  const results = new Map<string, Result>();
  const reps = new Map<string, number>();
  const samples = new Map<string, number[]>();
  try {
    // Warm-up and the plan: how many reps fit the budget.
    for (const impl of set.impls) {
      const r = base(impl);
      results.set(impl.id, r);
      const floorMs = (flops(impl) / (ceiling.gflops * 1e9)) * 1000; // at the matmul ceiling
      if (floorMs * 3 > budgetMs) {
        r.status = 'skipped';
        r.reason = `estimated ≥ ${(floorMs / 1000).toFixed(1)} s per call at the matmul ceiling; ×3 (warm-up, 1 rep, profile) exceeds the ${opts.budgetS} s budget`;
        log(`  ${impl.id.padEnd(18)} SKIPPED: ${r.reason}`);
        continue;
      }
      try {
        let first = await timeCall(impl.run, x);
        let used = first;
        for (let w = 1; w < opts.warmup && used + first < budgetMs / 4; w++) {
          first = await timeCall(impl.run, x); // the later warm-up is the better estimate
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
        samples.get(impl.id)!.push(await timeCall(impl.run, x));
      }
    }
    // Statistics, kernels per step, peak memory.
    for (const impl of set.impls) {
      const r = results.get(impl.id)!;
      if (r.status !== 'ok') continue;
      const st = stat(samples.get(impl.id)!);
      r.ms = st;
      r.seqPerSec = s.B / (st.median / 1000);
      r.gflops = flops(impl) / 1e9 / (st.median / 1000);
      r.fractionOfMatmul = r.gflops / ceiling.gflops;
      try {
        r.kernels = await kernelsPerStep(impl.run, s, opts.profileT);
        r.peakBytes = await peakBytes(impl.run, x);
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
  splitLaunches(results);
  return [...results.values()];
}

/** Launches per step forward and backward: a training impl's count minus its forward partner's. */
function splitLaunches(results: Map<string, Result>): void {
  for (const r of results.values()) {
    if (!r.kernels) continue;
    if (r.kind === 'forward') {
      r.kernelsPerStepForward = r.kernels.launchesPerStep;
      continue;
    }
    const partnerId = forwardPartner(r);
    const partner = partnerId ? results.get(partnerId) : undefined;
    if (partner?.kernels) {
      r.kernelsPerStepForward = partner.kernels.launchesPerStep;
      r.kernelsPerStepBackward = r.kernels.launchesPerStep - partner.kernels.launchesPerStep;
    }
  }
}
