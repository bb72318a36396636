/** The doctor's general sections: installed packages, and which backends load and compute. */
import { TFJS_NODE_GPU } from '../backend/names';
import { classifyRequireError, nodeInstallFix } from '../backend/tensorflow';
import type { CandidateId } from '../backend/types';
import { firstLine } from '../text';
import type { CandidateVerdict, DoctorFacts, Finding, NodePackageFact, ReportSection } from './types';

export function packagesSection(facts: DoctorFacts): ReportSection {
  const findings: Finding[] = facts.packages.map((p) => {
    if (p.version) return { level: 'ok', title: `${p.name} ${p.version}` };
    return p.optional
      ? { level: 'info', title: `${p.name} not installed (optional)` }
      : { level: 'fail', title: `${p.name} not installed`, fix: 'npm install (it is a dependency of tfjs-rnn)' };
  });
  const versions = new Set(facts.packages.filter((p) => p.name.startsWith('@tensorflow/') && p.version).map((p) => p.version));
  if (versions.size > 1) {
    findings.push({
      level: 'warn',
      title: `@tensorflow packages at different versions (${[...versions].join(', ')})`,
      fix: 'install matching versions (all 4.22.x): backends register kernels into the tfjs-core they import',
    });
  }
  return { title: 'Packages', findings };
}

export function backendsSection(facts: DoctorFacts, verdicts: CandidateVerdict[], chosen: CandidateId): ReportSection {
  const findings: Finding[] = [];
  for (const c of facts.backends) {
    if (c.ok) {
      findings.push({ level: 'ok', title: `${c.backend}: loads and computes`, detail: c.summary });
    } else {
      findings.push({
        level: c.backend === 'webgpu' ? 'warn' : 'fail',
        title: `${c.backend}: does not load`,
        detail: c.error,
        fix: c.backend === 'webgpu' ? 'see the WebGPU section' : c.backend === 'wasm'
          ? 'reinstall @tensorflow/tfjs-backend-wasm (its dist/*.wasm files must exist)' : undefined,
      });
    }
  }
  const tf = tensorflowFinding(facts);
  if (tf) findings.push(tf);
  const skipped = verdicts.slice(0, verdicts.findIndex((v) => v.candidate === chosen)).map((v) => `${v.candidate}: ${v.reason}`);
  findings.push({
    level: 'info',
    title: `auto-selection picks ${chosen}`,
    detail: skipped.length > 0 ? `skipped ${skipped.join('; ')}` : undefined,
  });
  return { title: 'Backends', findings };
}

function tensorflowFinding(facts: DoctorFacts): Finding | undefined {
  const gpu = facts.tfjsNodeGpu;
  const cpu = facts.tfjsNode;
  const loaded = [gpu, cpu].find((f) => f.load?.loaded);
  if (loaded?.load) {
    const l = loaded.load;
    const where = l.isUsingGpuDevice ? 'on a CUDA GPU' : 'on the CPU (no CUDA device)';
    return l.opOk
      ? { level: l.isUsingGpuDevice || loaded === cpu ? 'ok' : 'warn', title: `tensorflow: loads via ${loaded.package} ${loaded.version ?? ''}, runs ${where}` }
      : { level: 'fail', title: `tensorflow: ${loaded.package} loads but a test op ${l.timedOut ? 'timed out' : 'failed'}`, detail: l.error };
  }
  if (!gpu.installed && !cpu.installed) {
    return {
      level: 'info',
      title: 'tensorflow: not available (neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed)',
      fix: `for CUDA: ${nodeInstallFix(TFJS_NODE_GPU, 'not-installed')}`,
    };
  }
  const broken = [gpu, cpu].find((f) => f.installed);
  if (broken?.load === undefined) return undefined;
  return {
    level: 'fail',
    title: `tensorflow: ${broken.package} is installed but does not load`,
    detail: firstLine(broken.load.error ?? '', 400),
    fix: nodeInstallFix(broken.package, classifyLoadError(broken)),
  };
}

/** Why an installed tfjs-node package did not load, from what its child process reported. */
export function classifyLoadError(f: NodePackageFact): ReturnType<typeof classifyRequireError> {
  if (f.installed && !f.bindingPath) return 'binding-missing';
  const err = Object.assign(new Error(f.load?.error ?? ''), { code: f.load?.errorCode });
  return classifyRequireError(f.package, err);
}
