/**
 * The three stages of the device run, each a separate process under its own time guard (run.sh):
 *   doctor  the platform report (`npm run doctor`'s), webgpu asked for by name;
 *   proofs  proofs.ts for every cell at every proof shape, on webgpu;
 *   bench   every cell at S1–S4, ours against tf.layers on webgpu: ms, sequences/s and kernel
 *           launches per step forward and backward (benchmarks/bench_shape.ts), in a time budget.
 */
import * as tf from '@tensorflow/tfjs';
import { formatDoctorReport, runDoctor } from '../../src';
import { benchShape } from '../bench_shape';
import { CELL_NAMES, CELLS, CellName } from '../cells';
import { assertNoWebGPUErrors, initBackend } from '../platform';
import { bestCeiling, matmulCeiling } from '../roofline';
import { SHAPES } from '../shapes';
import type { Result } from '../types';
import { PartWriter } from './parts';
import { benchFused } from '../fused';
import { PROOF_SHAPES, proveCell, proveFusedLSTM, ProofResult } from './proofs';

export interface DoctorItem {
  text: string;
  exitCode: number;
  report: unknown;
}

export async function doctorStage(outDir: string): Promise<void> {
  const w = new PartWriter<DoctorItem>(outDir, 'doctor');
  const report = await runDoctor({ requested: 'webgpu', requireGpu: true, childTimeoutMs: 60_000 });
  const text = formatDoctorReport(report);
  process.stdout.write(`${text}\n`);
  w.add({ text, exitCode: report.exitCode, report });
  w.part.finishedAt = new Date().toISOString();
  w.save();
}

/** webgpu by name (a software adapter too), every op on the GPU. */
async function webgpu<T>(w: PartWriter<T>): Promise<void> {
  const info = await initBackend('webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false); // else tfjs runs small CPU-resident inputs on the CPU
  w.part.backend = info.summary;
  w.part.backendDetails = info.details;
  w.save();
  console.log(info.summary);
}

export async function proofsStage(outDir: string): Promise<void> {
  const w = new PartWriter<ProofResult>(outDir, 'proofs');
  await webgpu(w);
  for (const cell of CELL_NAMES) {
    for (const s of PROOF_SHAPES) {
      const before = tf.memory().numTensors;
      const results = await proveCell(cell, s, 7);
      if (cell === 'lstm') results.push(await proveFusedLSTM(s, 7));
      for (const r of results) {
        w.add(r);
        console.log(`  ${r.pass ? 'pass' : 'FAIL'}  ${cell.padEnd(6)} ${r.proof.padEnd(13)} ${r.shape.padEnd(16)} worst relative error ${r.worst.toExponential(2)}`);
      }
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) throw new Error(`${cell} ${JSON.stringify(s)}: expected no tensor left behind, got ${leaked}`);
    }
  }
  await assertNoWebGPUErrors();
  w.part.finishedAt = new Date().toISOString();
  w.save();
}

export interface BenchItem {
  cell: CellName;
  shape: string;
  /** Plain-matMul GFLOP/s for the shape's products (the roofline), this run. */
  matmulGflops?: number;
  /** Seconds this combination was allowed. */
  budgetS: number;
  results: Result[];
  /** Why it was not run (the stage's time budget spent). */
  skipped?: string;
}

/** Every cell at S1–S4, smallest shape first for all cells, so that a budget cut loses the largest. */
export async function benchStage(outDir: string, budgetS: number): Promise<void> {
  const deadline = performance.now() + budgetS * 1000;
  const w = new PartWriter<BenchItem>(outDir, 'bench');
  await webgpu(w);
  const software = (w.part.backendDetails?.adapter as { isSoftware?: boolean } | undefined)?.isSoftware === true;
  const combos = ['S1', 'S2', 'S3', 'S4'].flatMap((shape) => CELL_NAMES.map((cell) => ({ cell, shape })));
  for (const [k, { cell, shape }] of combos.entries()) {
    const leftS = (deadline - performance.now()) / 1000;
    const per = leftS / (combos.length - k);
    if (per < 2) {
      w.add({ cell, shape, budgetS: 0, results: [], skipped: `the stage's ${budgetS} s budget was spent` });
      continue;
    }
    const s = SHAPES[shape];
    const spec = CELLS[cell];
    const flopCap = software ? 3e8 : 3e9; // lavapipe measures the roofline in seconds, not minutes
    const log = (line: string): void => console.log(line);
    log(`[${cell} ${shape}] B${s.B} T${s.T} D${s.D} H${s.H}, ${per.toFixed(0)} s`);
    const first = await matmulCeiling(s, spec.gates, flopCap);
    const opts = { seed: 1, families: ['ours', 'tf.layers'], budgetS: per * 0.6, warmup: 1, reps: 5, profileT: 5 };
    const results = await benchShape('webgpu', spec, s, first, opts, log);
    // Every cell has a fused step (src/platform/webgpu/fused/); where the budget skipped ours, it
    // skips the fused rows too.
    if (results.find((r) => r.impl === 'ours/forward')?.status !== 'ok') log('  fused: skipped with ours/forward');
    else {
      try {
        for (const r of await benchFused(cell, s, per * 0.2)) {
          results.push(r);
          log(`  ${r.impl.padEnd(18)} ${r.ms!.median.toFixed(1).padStart(9)} ms  ${r.seqPerSec!.toFixed(1)} seq/s  ${r.kernels?.launchesPerStep.toFixed(1)} launches/step`);
        }
      } catch (e) {
        log(`  fused: ERROR ${(e as Error).message}`);
      }
    }
    const ceiling = bestCeiling(first, await matmulCeiling(s, spec.gates, flopCap));
    w.add({ cell, shape, matmulGflops: ceiling.gflops, budgetS: per, results });
  }
  await assertNoWebGPUErrors();
  w.part.finishedAt = new Date().toISOString();
  w.save();
}
