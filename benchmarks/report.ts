/** Turns one cell's benchmark reports into latest.md: ratios, per-backend tables, kernels per step. */
import { CELLS } from './cells';
import { ALL_FAMILIES } from './impls';
import type { BackendReport, MachineInfo, NotRun, ReportedOptions, Result } from './types';

export const IMPL_ORDER = [
  'ours/forward', 'layer/forward', 'layer-unfused/forward', 'naive/forward', 'tf.layers/forward', 'torch/forward',
  'ours/train', 'layer/train', 'layer-unfused/train', 'autodiff/train', 'tf.layers/train', 'torch/train',
];

const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '—' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const mb = (b: number | undefined): string => (b === undefined ? '—' : (b / 2 ** 20).toFixed(1));
const pct = (x: number | undefined): string => (x === undefined ? '—' : `${(100 * x).toFixed(0)}%`);

function byImplOrder(a: Result, b: Result): number {
  return IMPL_ORDER.indexOf(a.impl) - IMPL_ORDER.indexOf(b.impl);
}

/** The command line that reproduces this run. */
export function commandOf(opts: ReportedOptions): string {
  const parts = ['npm run bench --'];
  if (opts.cell !== 'simple') parts.push(`--cell ${opts.cell}`);
  if (opts.quick) parts.push('--quick');
  if (opts.backends) parts.push(`--backend ${opts.backends.join(',')}`);
  if (ALL_FAMILIES.some((f) => !opts.families.includes(f))) parts.push(`--impls ${opts.families.join(',')}`);
  parts.push(`--shapes ${opts.shapes.map((s) => s.name).join(',')}`, `--reps ${opts.reps}`, `--budget ${opts.budgetS}`);
  return parts.join(' ');
}

function find(rep: BackendReport, shape: string, impl: string): Result | undefined {
  return rep.results.find((r) => r.shape === shape && r.impl === impl && r.status === 'ok');
}

/** Speed-up of ours over another impl of the same kind on the same backend: their ms / our ms. */
export function speedup(rep: BackendReport, shape: string, kind: 'forward' | 'train', other: string): number | undefined {
  const ours = find(rep, shape, `ours/${kind}`);
  const them = find(rep, shape, `${other}/${kind}`);
  return ours?.ms && them?.ms ? them.ms.median / ours.ms.median : undefined;
}

function kernelList(r: Result): string {
  if (!r.kernels) return '—';
  return Object.entries(r.kernels.byName)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}×${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(', ');
}

export function writeMarkdown(reports: BackendReport[], notRun: NotRun[], machine: MachineInfo, opts: ReportedOptions): string {
  const L: string[] = [];
  const tfReports = reports.filter((r) => r.backend !== 'torch');
  const torch = reports.find((r) => r.backend === 'torch');
  const date = reports[0]?.date ?? new Date().toISOString().slice(0, 10);
  const G = CELLS[opts.cell].gates;
  const N = G === 1 ? 'H' : `${G}H`; // the products' output width
  L.push(`# tfjs-rnn benchmark: ${CELLS[opts.cell].title}, ${date}${opts.quick ? ' (quick)' : ''}`, '');
  L.push(`Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemGiB} GiB, ${machine.platform}; node ${machine.node}; tfjs ${machine.tfjs}.`);
  const loadEnd = reports[reports.length - 1]?.machine.loadAvgEnd;
  L.push(`Load average (1/5/15 min) at start ${machine.loadAvgStart.join(' / ')}${loadEnd ? `, at end ${loadEnd.join(' / ')}` : ''} (a shared machine: read medians and spreads, not single numbers).`);
  L.push(`Command: \`${commandOf(opts)}\`. Times are medians of the repetitions (min–max in the tables), outputs read back before the clock stops.`, '');
  L.push('Backends:', '');
  for (const r of reports) L.push(`- **${r.backend}**: ${r.backendInfo.summary}`);
  for (const u of notRun) L.push(`- ${u.what}: not run — ${u.reason}`);
  L.push('');

  L.push('## Ratios: ours against the others, same backend, same run', '');
  L.push('Speed-up = their median time / our median time (> 1: ours is faster). Training step = forward + gradients of sum(output).', '');
  L.push('| backend | shape | train vs tf.layers | forward vs tf.layers | train vs autodiff | forward vs naive loop | ours train: % of plain matMul | ours launches/step fwd / bwd | our layer’s launches/step fwd / bwd (unfused) |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const rep of tfReports) {
    for (const s of Object.keys(rep.matmul)) {
      const x = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(2)}×`);
      const ot = find(rep, s, 'ours/train');
      const lt = find(rep, s, 'layer/train');
      const ut = find(rep, s, 'layer-unfused/train');
      const unfusedCounts = ut === undefined ? '' : ` (${f1(ut.kernelsPerStepForward)} / ${f1(ut.kernelsPerStepBackward)})`;
      L.push(`| ${rep.backend} | ${s} | ${x(speedup(rep, s, 'train', 'tf.layers'))} | ${x(speedup(rep, s, 'forward', 'tf.layers'))} | ` +
        `${x(speedup(rep, s, 'train', 'autodiff'))} | ${x(speedup(rep, s, 'forward', 'naive'))} | ${pct(ot?.fractionOfMatmul)} | ` +
        `${f1(ot?.kernelsPerStepForward)} / ${f1(ot?.kernelsPerStepBackward)} | ${f1(lt?.kernelsPerStepForward)} / ${f1(lt?.kernelsPerStepBackward)}${unfusedCounts} |`);
    }
  }
  if (torch) {
    L.push('', `Outside reference, torch (${torch.backendInfo.summary}): our time / torch's time (< 1: ours is faster), per backend:`, '');
    L.push('| backend | shape | ours train / torch train | ours forward / torch forward |');
    L.push('|---|---|---:|---:|');
    for (const rep of tfReports) {
      for (const s of Object.keys(rep.matmul)) {
        const q = (kind: 'forward' | 'train'): string => {
          const o = find(rep, s, `ours/${kind}`);
          const t = find(torch, s, `torch/${kind}`);
          return o?.ms && t?.ms ? (o.ms.median / t.ms.median).toFixed(2) : '—';
        };
        L.push(`| ${rep.backend} | ${s} | ${q('train')} | ${q('forward')} |`);
      }
    }
  }
  L.push('');

  for (const rep of reports) {
    L.push(`## ${rep.backend}`, '');
    if (rep.backend !== 'torch') {
      L.push('Plain matMul (no transpose flags) measured in this run — the roofline each result is compared with:', '');
      L.push(`| shape | [B·T,D]x[D,${N}] GFLOP/s | [B,H]x[H,${N}] GFLOP/s (ms per call) | roofline (the better), GFLOP/s |`);
      L.push('|---|---:|---:|---:|');
      for (const [s, c] of Object.entries(rep.matmul)) {
        L.push(`| ${s} | ${f1(c.projection.gflops)} | ${f1(c.recurrent.gflops)} (${c.recurrent.msPerCall.toFixed(3)}) | ${f1(c.gflops)} |`);
      }
      L.push('');
    }
    L.push('| shape | impl | median ms | min–max ms | reps | seq/s | GFLOP/s | % of matMul | launches/step fwd | bwd | peak MB |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const shapes = [...new Set(rep.results.map((r) => r.shape))];
    for (const s of shapes) {
      for (const r of rep.results.filter((x) => x.shape === s).sort(byImplOrder)) {
        if (r.status !== 'ok' || !r.ms) {
          L.push(`| ${s} | ${r.impl} | ${r.status} | | | | | | | | |`);
          continue;
        }
        L.push(`| ${s} | ${r.impl} | ${f1(r.ms.median)} | ${f1(r.ms.min)}–${f1(r.ms.max)} | ${r.ms.reps} | ${f1(r.seqPerSec)} | ${f1(r.gflops)} | ` +
          `${pct(r.fractionOfMatmul)} | ${f1(r.kernelsPerStepForward)} | ${f1(r.kernelsPerStepBackward)} | ${mb(r.peakBytes)} |`);
      }
    }
    L.push('');
    const withKernels = rep.results.filter((r) => r.kernels);
    if (withKernels.length > 0) {
      L.push(`Kernels per time step of each call, by name: (k(2T′) − k(T′)) / T′ from tf.profile, T′ = min(T, ${opts.profileT}), so fixed costs cancel; ` +
        'a training call counts forward + backward. Launches leave out Reshape/Identity (no-ops on a GPU) and op wrappers such as fusedMatMul__op ' +
        '(a tf.customGrad scope, not a kernel); the fwd/bwd columns above are launches.', '');
      L.push('| shape | impl | entries per step | launches per step | kernels (all tf.profile entries) |');
      L.push('|---|---|---:|---:|---|');
      for (const r of withKernels.sort((a, b) => shapes.indexOf(a.shape) - shapes.indexOf(b.shape) || byImplOrder(a, b))) {
        L.push(`| ${r.shape} | ${r.impl} | ${f1(r.kernels!.perStep)} | ${f1(r.kernels!.launchesPerStep)} | ${kernelList(r)} |`);
      }
      L.push('');
    }
    const notOk = rep.results.filter((r) => r.status !== 'ok' || r.reason);
    if (notOk.length > 0) {
      L.push('Skipped or failed (not silently dropped):', '');
      for (const r of notOk) L.push(`- ${r.shape} ${r.impl}: ${r.status}: ${r.reason}`);
      L.push('');
    }
    const leaks = Object.entries(rep.leakedTensors).filter(([, n]) => n !== 0);
    if (leaks.length > 0) L.push(`Tensor leaks: ${leaks.map(([s, n]) => `${s}: ${n}`).join(', ')}`, '');
  }
  L.push('What each implementation times:', '');
  const seen = new Set<string>();
  for (const r of reports.flatMap((x) => x.results).sort(byImplOrder)) {
    if (seen.has(r.impl)) continue;
    seen.add(r.impl);
    L.push(`- \`${r.impl}\`: ${r.what}`);
  }
  L.push('');
  return L.join('\n');
}
