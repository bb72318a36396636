/**
 * Facts in, findings with fixes out: the auto choice (the same order initBackend uses), one
 * section per area, the verdict and the exit code. Pure: every GPU case is tested with fakes.
 */
import { AUTO_ORDER } from '../backend/names';
import type { BackendName, BackendRequest, CandidateId } from '../backend/types';
import { firstLine } from '../text';
import { cudaSection, webgpuSection } from './gpu_sections';
import { backendsSection, packagesSection } from './sections';
import type { BackendCheckFact, CandidateVerdict, DiagnoseOptions, DoctorFacts, DoctorReport, Finding, ReportSection } from './types';

/** How much of an error's first line a verdict quotes (the whole error is in the facts). */
const VERDICT_MAX = 160;

/** Judges every candidate of the auto order from the facts (the same order initBackend uses). */
export function judgeCandidates(facts: DoctorFacts): CandidateVerdict[] {
  const check = (b: BackendName): BackendCheckFact | undefined => facts.backends.find((c) => c.backend === b);
  const verdict = (candidate: CandidateId): CandidateVerdict => {
    switch (candidate) {
      case 'tensorflow-gpu': {
        const f = facts.tfjsNodeGpu;
        if (!f.installed) return { candidate, ok: false, reason: 'tfjs-node-gpu not installed' };
        if (!f.load) return { candidate, ok: false, reason: 'not checked' };
        if (!f.load.loaded) return { candidate, ok: false, reason: `tfjs-node-gpu does not load: ${firstLine(f.load.error ?? '', VERDICT_MAX)}` };
        if (!f.load.isUsingGpuDevice) return { candidate, ok: false, reason: 'TensorFlow registered no CUDA device' };
        if (!f.load.opOk) return { candidate, ok: false, reason: f.load.timedOut ? 'first op timed out' : 'a test op failed' };
        return { candidate, ok: true };
      }
      case 'webgpu': {
        const c = check('webgpu');
        const probe = facts.webgpu;
        if ('moduleError' in probe) return { candidate, ok: false, reason: probe.moduleError };
        if (!probe.available) return { candidate, ok: false, reason: firstLine(probe.reason ?? 'no adapter', VERDICT_MAX) };
        if (probe.adapter?.isSoftware) return { candidate, ok: false, reason: 'software adapter: only with --backend webgpu' };
        if (c && !c.ok) return { candidate, ok: false, reason: firstLine(c.error ?? 'failed', VERDICT_MAX) };
        return { candidate, ok: c?.ok ?? false, reason: c ? undefined : 'not checked' };
      }
      case 'tensorflow-cpu': {
        const gpu = facts.tfjsNodeGpu.load;
        const cpu = facts.tfjsNode.load;
        if (cpu?.loaded && cpu.opOk) return { candidate, ok: true };
        if (gpu?.loaded && gpu.opOk) return { candidate, ok: true, reason: 'via tfjs-node-gpu on the CPU' };
        if (!facts.tfjsNode.installed) return { candidate, ok: false, reason: 'tfjs-node not installed' };
        return { candidate, ok: false, reason: `tfjs-node does not load: ${firstLine(cpu?.error ?? 'not checked', VERDICT_MAX)}` };
      }
      case 'wasm':
      case 'cpu': {
        const c = check(candidate);
        return c ? { candidate, ok: c.ok, reason: c.ok ? undefined : firstLine(c.error ?? '', VERDICT_MAX) } : { candidate, ok: false, reason: 'not checked' };
      }
    }
  };
  return AUTO_ORDER.map(verdict);
}

function requestedWorks(requested: BackendRequest, verdicts: CandidateVerdict[], facts: DoctorFacts): boolean {
  const v = (c: CandidateId): boolean => verdicts.find((x) => x.candidate === c)?.ok === true;
  switch (requested) {
    case 'auto': return verdicts.some((x) => x.ok);
    case 'tensorflow': return v('tensorflow-gpu') || v('tensorflow-cpu');
    case 'webgpu': return facts.backends.find((c) => c.backend === 'webgpu')?.ok === true;
    case 'wasm': return v('wasm');
    case 'cpu': return v('cpu');
  }
}

/** Turns facts into findings with fixes, the auto choice and the exit code. Pure. */
export function diagnose(facts: DoctorFacts, opts: DiagnoseOptions = {}): DoctorReport {
  const requested = opts.requested ?? 'auto';
  const verdicts = judgeCandidates(facts);
  const chosen = verdicts.find((v) => v.ok)?.candidate ?? 'cpu';
  const sections: ReportSection[] = [
    packagesSection(facts),
    backendsSection(facts, verdicts, chosen),
    cudaSection(facts),
    webgpuSection(facts),
  ];
  const requestedOk = requestedWorks(requested, verdicts, facts);
  const gpuOk = verdicts.find((v) => v.candidate === 'tensorflow-gpu')?.ok === true ||
    verdicts.find((v) => v.candidate === 'webgpu')?.ok === true;
  const gpuRequired = opts.requireGpu === true;
  const exitCode = requestedOk && (!gpuRequired || gpuOk) ? 0 : 1;
  const verdictLines: Finding[] = [];
  if (requested !== 'auto') {
    verdictLines.push(requestedOk
      ? { level: 'ok', title: `requested backend '${requested}' can run` }
      : { level: 'fail', title: `requested backend '${requested}' cannot run here`, detail: 'see its section above for the reason and the fix' });
  }
  verdictLines.push({ level: 'info', title: `with no --backend, scripts use: ${chosen}` +
    (facts.env.TFJS_RNN_BACKEND ? ` (but TFJS_RNN_BACKEND=${facts.env.TFJS_RNN_BACKEND} is set)` : '') });
  if (gpuRequired) {
    verdictLines.push(gpuOk
      ? { level: 'ok', title: 'a GPU backend works (--gpu)' }
      : { level: 'fail', title: 'no GPU backend works (--gpu): neither tensorflow with CUDA nor webgpu on a hardware adapter' });
  }
  sections.push({ title: 'Verdict', findings: verdictLines });
  return {
    header: `tfjs-rnn doctor: Node ${facts.node}, ${facts.platform}`,
    sections,
    requested,
    auto: { choice: chosen, verdicts },
    requestedOk,
    gpuRequired,
    gpuOk,
    exitCode,
    facts,
  };
}
