/**
 * OUT/gpu-report.json and OUT/gpu-report.md from whatever parts the stages left: a stage that was
 * cut off by its time guard, or never ran, is named as such, and what it finished is kept.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import writeFileAtomic from 'write-file-atomic';
import { Part, readPart, StageName, STAGES, stageExit } from './parts';
import type { ProofResult } from './proofs';
import type { BenchItem, DoctorItem } from './stages';

export interface StageSummary {
  stage: StageName;
  /** ran to its end / stopped by its time guard / threw or crashed / never started. */
  status: 'finished' | 'timed out' | 'failed' | 'not run';
  exitCode?: number;
  error?: string;
}

function summarize(stage: StageName, part: Part<unknown> | undefined, rc: number | undefined): StageSummary {
  const status =
    part === undefined && rc === undefined ? 'not run'
      : rc === 124 || rc === 137 ? 'timed out'
        : part?.finishedAt !== undefined && (rc === undefined || rc === 0) ? 'finished'
          : 'failed';
  return { stage, status, exitCode: rc, error: part?.error };
}

function readText(file: string, max = 1 << 20): string | undefined {
  if (!fs.existsSync(file) || fs.statSync(file).size > max) return undefined;
  return fs.readFileSync(file, 'utf8');
}

/** The report's JSON: stages, adapter, doctor, proofs, benchmark rows. */
export function buildReport(outDir: string) {
  const doctor = readPart<DoctorItem>(outDir, 'doctor');
  const proofs = readPart<ProofResult>(outDir, 'proofs');
  const bench = readPart<BenchItem>(outDir, 'bench');
  const parts = { doctor, proofs, bench } as Record<StageName, Part<unknown> | undefined>;
  const stages = STAGES.map((s) => summarize(s, parts[s], stageExit(outDir, s)));
  const items = proofs?.items ?? [];
  const manifestText = readText(path.join(outDir, 'parts', 'bundle-manifest.json'));
  return {
    schema: 'tfjs-rnn-gpu-report/1',
    createdAt: new Date().toISOString(),
    host: { hostname: os.hostname(), platform: `${os.platform()} ${os.release()} ${os.arch()}`, cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
    nvidiaSmi: readText(path.join(outDir, 'parts', 'nvidia-smi.txt'))?.trim(),
    bundle: manifestText ? (JSON.parse(manifestText) as unknown) : undefined,
    adapterName: adapterLine(proofs?.backendDetails ?? bench?.backendDetails),
    adapter: proofs?.backend ?? bench?.backend,
    backendDetails: proofs?.backendDetails ?? bench?.backendDetails,
    stages,
    doctor: doctor?.items[0] ? { exitCode: doctor.items[0].exitCode, text: doctor.items[0].text } : undefined,
    proofs: {
      total: items.length,
      passed: items.filter((r) => r.pass).length,
      allPassed: items.length > 0 && items.every((r) => r.pass) && stages[1].status === 'finished',
      worst: items.reduce((m, r) => Math.max(m, r.worst), 0),
      items,
    },
    bench: bench?.items ?? [],
  };
}

export type GpuReport = ReturnType<typeof buildReport>;

const fmt = (n: number | undefined, digits = 1): string => (n === undefined ? '–' : n.toFixed(digits));

function benchTable(items: BenchItem[]): string[] {
  const lines = [
    '| cell | shape | ours fwd ms | tf.layers fwd ms | fwd speed-up | ours train ms | tf.layers train ms | train speed-up | ours seq/s (train) | launches/step ours fwd / bwd | tf.layers fwd / bwd | fused fwd / train ms | fused launches fwd / bwd |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const it of items) {
    if (it.skipped) {
      lines.push(`| ${it.cell} | ${it.shape} | ${it.skipped} |||||||||||`);
      continue;
    }
    const row = (id: string) => it.results.find((r) => r.impl === id);
    const [of, lf, ot, lt, ff, ft] = ['ours/forward', 'tf.layers/forward', 'ours/train', 'tf.layers/train', 'fused/forward', 'fused/train'].map(row);
    const ms = (r: typeof of) => (r?.ms ? fmt(r.ms.median) : r?.status ?? '–');
    const ratio = (a: typeof of, b: typeof of) => (a?.ms && b?.ms ? `${(b.ms.median / a.ms.median).toFixed(2)}×` : '–');
    const launches = (f: typeof of, t: typeof of) => `${fmt(f?.kernelsPerStepForward)} / ${fmt(t?.kernelsPerStepBackward)}`;
    lines.push(`| ${it.cell} | ${it.shape} | ${ms(of)} | ${ms(lf)} | ${ratio(of, lf)} | ${ms(ot)} | ${ms(lt)} | ${ratio(ot, lt)} | ${fmt(ot?.seqPerSec)} | ${launches(of, ot)} | ${launches(lf, lt)} | ${ff ? `${ms(ff)} / ${ms(ft)}` : '–'} | ${ff ? launches(ff, ft) : '–'} |`);
  }
  return lines;
}

/** 'NVIDIA H200 (nvidia hopper, Dawn vulkan, hardware)' from the backend's facts. */
export function adapterLine(details: Record<string, unknown> | undefined): string | undefined {
  const a = details?.adapter as { vendor?: string; architecture?: string; device?: string; description?: string; dawnBackend?: string; isSoftware?: boolean } | undefined;
  if (a === undefined) return undefined;
  const name = a.description || a.device || 'unnamed adapter';
  return `${name} (${[a.vendor, a.architecture].filter(Boolean).join(' ')}, Dawn ${a.dawnBackend ?? '?'}, ${a.isSoftware ? 'software' : 'hardware'})`;
}

export function reportMarkdown(r: GpuReport): string {
  const lines = [
    '# tfjs-rnn on this machine\'s GPU (webgpu through Dawn)',
    '',
    `Written ${r.createdAt} on ${r.host.hostname} (${r.host.platform}, ${r.host.cpu}, ${r.host.cores} cores, node ${r.host.node}).`,
    '',
    `**Adapter:** ${r.adapterName ?? 'none: webgpu did not start (see the doctor below)'}`,
    '',
    `**Backend:** ${r.adapter ?? '–'}`,
    '',
    `**Proofs:** ${r.proofs.passed} of ${r.proofs.total} passed${r.proofs.allPassed ? ' (all)' : ''}; worst relative error ${r.proofs.worst.toExponential(2)} (bound 1e-5).`,
    '',
    '| stage | status | exit |',
    '|---|---|---|',
    ...r.stages.map((s) => `| ${s.stage} | ${s.status}${s.error ? `: ${s.error}` : ''} | ${s.exitCode ?? '–'} |`),
    '',
    '## Benchmark (webgpu; ms are medians; speed-up = tf.layers time / ours)',
    '',
    ...benchTable(r.bench),
    '',
    '## Proofs',
    '',
    '| cell | proof | shape | worst relative error | result |',
    '|---|---|---|---|---|',
    ...r.proofs.items.map((p) => `| ${p.cell} | ${p.proof} | ${p.shape} | ${p.worst.toExponential(2)} | ${p.pass ? 'pass' : 'FAIL'} |`),
    '',
  ];
  if (r.nvidiaSmi) lines.push('## nvidia-smi', '', '```', r.nvidiaSmi, '```', '');
  if (r.doctor) lines.push('## Doctor', '', '```', r.doctor.text.trim(), '```', '');
  return lines.join('\n');
}

/** Writes both files; returns the report. */
export function writeReport(outDir: string): GpuReport {
  const r = buildReport(outDir);
  writeFileAtomic.sync(path.join(outDir, 'gpu-report.json'), JSON.stringify(r, null, 1) + '\n');
  writeFileAtomic.sync(path.join(outDir, 'gpu-report.md'), reportMarkdown(r));
  return r;
}
