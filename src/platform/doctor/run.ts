/**
 * The doctor's one entry point for programs: look at this machine (real probes), judge, report.
 * `npm run doctor` is this plus flag parsing; a program can call it to say why a backend does
 * not run before it tries one.
 */
import { collectFacts } from './facts';
import { diagnose } from './diagnose';
import { realProbes } from './probes';
import type { DiagnoseOptions, DoctorReport } from './types';

export interface DoctorOptions extends DiagnoseOptions {
  /** Limit for the child process that loads tfjs-node(-gpu) and runs its first op, in ms (default 180000). */
  childTimeoutMs?: number;
}

/**
 * The report on this machine: which backends can run, what `auto` picks, and each finding with its
 * fix. `report.exitCode` is 0 when the requested backend (and a GPU, with requireGpu) works.
 * Format it for a terminal with formatDoctorReport, or print it as JSON.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const { childTimeoutMs = 180_000, ...judge } = options;
  if (!Number.isFinite(childTimeoutMs) || childTimeoutMs <= 0) {
    throw new Error(`runDoctor: expected childTimeoutMs to be a positive number of ms, got ${String(childTimeoutMs)}`);
  }
  const facts = await collectFacts(realProbes({ childTimeoutMs }));
  return diagnose(facts, judge);
}
