/**
 * One benchmark run: for each cell asked for, every backend that loads (then torch), every shape:
 * the plain-matMul ceiling (the roofline) before and after the shape's implementations
 * (bench_shape.ts), and the files: <backend>-<date>.json per backend (and torch-<date>.json),
 * latest.md, latest.svg and ratios.svg, with a -<cell> suffix for a gated cell and -quick for a
 * --quick run, so that no run overwrites another kind of run.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import writeFileAtomic from 'write-file-atomic';
import { benchShape, Log } from './bench_shape';
import { CELLS, shapesFor } from './cells';
import { writeCharts } from './charts';
import { loadAverage, machineInfo } from './machine';
import { assertNoWebGPUErrors, BackendInfo, initBackend } from './platform';
import { writeMarkdown } from './report';
import { bestCeiling, matmulCeiling } from './roofline';
import { findTorchPython, runTorch, torchReport } from './torch';
import type { BackendReport, BenchOptions, BenchOutcome, CellRunOptions, MachineInfo, NotRun, ReportedOptions } from './types';

const DEFAULT_BACKENDS = ['cpu', 'wasm', 'webgpu'];

function reportedOptions(o: CellRunOptions): ReportedOptions {
  const { outDir: _outDir, quiet: _quiet, ...rest } = o;
  return rest;
}

function writeJson(file: string, report: BackendReport): void {
  writeFileAtomic.sync(file, JSON.stringify(report, null, 1) + '\n');
}

/** Every shape of one cell on the active backend (info), into one report. */
async function benchBackend(info: BackendInfo, o: CellRunOptions, machine: MachineInfo, date: string, log: Log): Promise<BackendReport> {
  const backend = info.backend;
  const cell = CELLS[o.cell];
  const report: BackendReport = {
    schema: 'tfjs-rnn-bench/1', backend, cell: o.cell, date, startedAt: new Date().toISOString(), finishedAt: '', machine,
    backendInfo: { summary: info.summary, package: info.package, version: info.version, details: info.details },
    options: reportedOptions(o), matmul: {}, results: [], leakedTensors: {},
  };
  const tfFamilies = o.families.filter((f) => f !== 'torch');
  const flopCap = backend === 'cpu' ? 3e8 : 3e9;
  for (const s of o.shapes) {
    const before = tf.memory().numTensors;
    const first = await matmulCeiling(s, cell.gates, flopCap);
    log(`[${backend} ${s.name}] B${s.B} T${s.T} D${s.D} H${s.H}: plain matMul ${first.gflops.toFixed(2)} GFLOP/s` +
      ` (projection ${first.projection.gflops.toFixed(2)}, recurrent ${first.recurrent.gflops.toFixed(2)})`);
    const results = await benchShape(backend, cell, s, first, { ...o, families: tfFamilies }, log);
    const ceiling = bestCeiling(first, await matmulCeiling(s, cell.gates, flopCap));
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
  if (backend === 'webgpu') await assertNoWebGPUErrors(); // a Dawn validation error is an error
  report.finishedAt = new Date().toISOString();
  report.machine = { ...machine, loadAvgEnd: loadAverage() };
  return report;
}

/** Loads a backend for the run; undefined (and why, in unavailable) when it cannot or should not run. */
async function loadBackend(backend: string, byName: boolean, unavailable: NotRun[], log: Log): Promise<BackendInfo | undefined> {
  let info: BackendInfo;
  try {
    info = await initBackend(backend);
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    unavailable.push({ what: backend, reason });
    log(`\n[${backend}] not available here: ${reason}`);
    return undefined;
  }
  const adapter = info.details.adapter as { isSoftware?: boolean } | undefined;
  if (!byName && info.backend === 'webgpu' && adapter?.isSoftware) {
    // A software adapter (Mesa lavapipe) runs S1 in seconds and S4 in hours: only when asked by name.
    const reason = `software adapter only (${info.summary}); run it with --backend webgpu`;
    unavailable.push({ what: backend, reason });
    log(`\n[${backend}] skipped by default: ${reason}`);
    return undefined;
  }
  return info;
}

/** torch's report for one cell, or undefined (and why, in unavailable). */
function benchTorch(o: CellRunOptions, machine: MachineInfo, date: string, unavailable: NotRun[], log: Log): BackendReport | undefined {
  const found = findTorchPython(o.python);
  if ('reason' in found) {
    unavailable.push({ what: 'torch', reason: found.reason });
    log(`\n[torch] skipped: ${found.reason}`);
    return undefined;
  }
  log(`\n[torch] ${found.python}`);
  const startedAt = new Date().toISOString();
  try {
    const run = runTorch(o, found.python);
    log(`  torch ${run.torch}, ${run.threads} thread(s), BLAS: ${run.blas}`);
    const rep = torchReport(run, reportedOptions(o), machine, date, startedAt);
    for (const r of rep.results) {
      log(`  ${(r.shape + ' ' + r.impl).padEnd(22)} ${r.ms!.median.toFixed(1).padStart(9)} ms  (min ${r.ms!.min.toFixed(1)}, max ${r.ms!.max.toFixed(1)})  ${r.seqPerSec!.toFixed(1)} seq/s  ${r.gflops!.toFixed(2)} GFLOP/s`);
    }
    return rep;
  } catch (e) {
    unavailable.push({ what: 'torch', reason: (e as Error).message });
    log(`[torch] failed: ${(e as Error).message}`);
    return undefined;
  }
}

/** One cell: every backend, torch, then latest.md and the charts. */
async function benchCell(o: CellRunOptions, machine: MachineInfo, log: Log): Promise<BenchOutcome> {
  const cell = CELLS[o.cell];
  const date = new Date().toISOString().slice(0, 10);
  const suffix = `${o.cell === 'simple' ? '' : `-${o.cell}`}${o.quick ? '-quick' : ''}`;
  const reports: BackendReport[] = [];
  const unavailable: NotRun[] = [];
  const files: string[] = [];
  const notBuilt: NotRun[] = [];
  log(`\n== ${cell.title}: shapes ${o.shapes.map((s) => s.name).join(', ')}; reps ${o.reps}; warm-up ${o.warmup}; budget ${o.budgetS} s per combination`);
  if (o.families.includes('ours') && cell.ours === undefined) {
    notBuilt.push({ what: 'ours', reason: `there is no ${cell.title} class in src/ yet` });
    log(`ours: not run, there is no ${cell.title} class in src/ yet`);
  }
  const tfFamilies = o.families.filter((f) => f !== 'torch');
  for (const backend of o.backends ?? DEFAULT_BACKENDS) {
    const info = await loadBackend(backend, o.backends !== undefined, unavailable, log);
    if (info === undefined) continue;
    if (tfFamilies.length === 0) break;
    log(`\n[${backend}] ${info.summary}`);
    const report = await benchBackend(info, o, machine, date, log);
    const file = path.join(o.outDir, `${backend}-${date}${suffix}.json`);
    writeJson(file, report);
    files.push(file);
    reports.push(report);
  }
  if (o.families.includes('torch') && o.torch !== 'off') {
    const rep = benchTorch(o, machine, date, unavailable, log);
    if (rep !== undefined) {
      const file = path.join(o.outDir, `torch-${date}${suffix}.json`);
      writeJson(file, rep);
      files.push(file);
      reports.push(rep);
    }
  }
  const md = path.join(o.outDir, `latest${suffix}.md`);
  writeFileAtomic.sync(md, writeMarkdown(reports, [...unavailable, ...notBuilt], machine, reportedOptions(o)));
  files.push(md);
  files.push(...(await writeCharts(reports, o.outDir, suffix)));
  return { reports, unavailable, files };
}

export async function runBench(opts: BenchOptions): Promise<BenchOutcome> {
  const log: Log = opts.quiet ? () => undefined : (line) => console.log(line);
  const machine = machineInfo();
  fs.mkdirSync(opts.outDir, { recursive: true });
  log(`tfjs-rnn bench: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, tfjs ${machine.tfjs}, load ${machine.loadAvgStart.join(' ')}`);
  const outcome: BenchOutcome = { reports: [], unavailable: [], files: [] };
  for (const cell of opts.cells) {
    const { cells: _cells, shapes, ...rest } = opts;
    const one = await benchCell({ ...rest, cell, shapes: shapesFor(cell, opts.quick, shapes) }, machine, log);
    outcome.reports.push(...one.reports);
    // A backend that cannot load is said once, not once per cell.
    outcome.unavailable.push(...one.unavailable.filter((u) => !outcome.unavailable.some((v) => v.what === u.what && v.reason === u.reason)));
    outcome.files.push(...one.files);
  }
  log(`\nwrote ${outcome.files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  return outcome;
}
