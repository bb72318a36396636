/**
 * The outside reference: torch_rnn.py (torch.nn.RNN / LSTM / GRU) in a python subprocess, on the
 * same shapes, turned into a report like a tfjs backend's.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { CELLS } from './cells';
import { flopsOf } from './flops';
import { loadAverage } from './machine';
import { stat } from './timing';
import type { BackendReport, CellRunOptions, Kind, MachineInfo, ReportedOptions, Result } from './types';

type TorchOptions = Pick<CellRunOptions, 'cell' | 'shapes' | 'reps' | 'warmup' | 'budgetS' | 'torchThreads'>;

export interface TorchRun {
  torch: string;
  threads: number;
  blas: string;
  results: { shape: string; kind: Kind; samplesMs: number[] }[];
}

/** The first python that can import torch: `preferred`, else $TORCH_PYTHON, python3, /usr/bin/python3. */
export function findTorchPython(preferred?: string): { python: string } | { reason: string } {
  const candidates = preferred ? [preferred] : [process.env.TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120000 });
    if (r.status === 0) return { python: py };
    tried.push(`${py}: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`);
  }
  return { reason: `no python with torch (${tried.join('; ')})` };
}

export function runTorch(opts: TorchOptions, python: string): TorchRun {
  const script = path.join(__dirname, 'torch_rnn.py');
  const cfg = { cell: opts.cell, shapes: opts.shapes, reps: opts.reps, warmup: opts.warmup, budget_s: opts.budgetS / 2, threads: opts.torchThreads };
  const r = spawnSync(python, [script, JSON.stringify(cfg)], {
    encoding: 'utf8',
    timeout: opts.budgetS * 1000 * opts.shapes.length * 2 + 60000,
    env: { ...process.env, OMP_NUM_THREADS: String(opts.torchThreads), OPENBLAS_NUM_THREADS: String(opts.torchThreads) },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`torch_rnn.py failed (${r.error?.message ?? 'exit ' + r.status}): ${(r.stderr || '').trim().slice(-500)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as TorchRun;
}

export function torchReport(run: TorchRun, opts: ReportedOptions, machine: MachineInfo, date: string, startedAt: string): BackendReport {
  const cell = CELLS[opts.cell];
  const results: Result[] = run.results.map((t) => {
    const s = opts.shapes.find((x) => x.name === t.shape)!;
    const st = stat(t.samplesMs);
    const flops = flopsOf(s, t.kind, cell.gates);
    return {
      backend: 'torch', shape: s.name, B: s.B, T: s.T, D: s.D, H: s.H,
      impl: `torch/${t.kind}`, family: 'torch', kind: t.kind,
      what: t.kind === 'forward' ? `${cell.torch} forward (no_grad)` : `${cell.torch} forward + sum().backward()`,
      status: 'ok', ms: st, seqPerSec: s.B / (st.median / 1000), gflopPerCall: flops / 1e9, gflops: flops / 1e9 / (st.median / 1000),
    };
  });
  return {
    schema: 'tfjs-rnn-bench/1', backend: 'torch', cell: opts.cell, date, startedAt, finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAvgEnd: loadAverage() },
    backendInfo: { summary: `torch ${run.torch} (cpu, ${run.threads} thread(s)); ${run.blas}`, package: 'torch', version: run.torch, details: { threads: run.threads, blas: run.blas } },
    options: opts, matmul: {}, results, leakedTensors: {},
  };
}
