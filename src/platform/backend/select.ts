/**
 * Backend selection: one module that every script, benchmark and test helper uses.
 *
 * Order when nothing is asked for ('auto'):
 *   1. tensorflow via @tensorflow/tfjs-node-gpu, only when a CUDA device is actually in use
 *      (tfjs-node-gpu falls back to the CPU silently when libcudart/libcudnn are missing);
 *   2. webgpu, only on a hardware adapter (a software one, Mesa lavapipe, only when asked by name);
 *      probed only where a GPU device exists, and in a child process, so Dawn stays silent elsewhere;
 *   3. tensorflow on the CPU: @tensorflow/tfjs-node, or tfjs-node-gpu already loaded without CUDA;
 *   4. wasm (@tensorflow/tfjs-backend-wasm, its .wasm files ship inside the npm package);
 *   5. cpu (pure JavaScript, always there).
 * A backend asked for by name (`initBackend('wasm')`, env TFJS_RNN_BACKEND, `--backend wasm`) that
 * cannot load is an Error saying why and how to fix it, never a silent fallback. When 'auto' falls
 * back, the returned info lists every candidate tried and why it was skipped.
 */
import * as tf from '@tensorflow/tfjs';
import { errorMessage, firstLine } from '../text';
import { realLoaders } from './loaders';
import { AUTO_ORDER, BACKEND_NAMES, backendOf, CANDIDATES_FOR, packageOf, resolveBackendRequest } from './names';
import type { BackendAttempt, BackendInfo, CandidateId, CandidateLoader, LoadOutcome } from './types';

export interface InitBackendOptions {
  /** Replaces the real loaders (tests). Missing entries use the real ones. */
  loaders?: Partial<Record<CandidateId, CandidateLoader>>;
  /** Environment to read TFJS_RNN_BACKEND from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Selects, initialises and describes the backend. `request` is a backend name or 'auto'; when
 * undefined, env TFJS_RNN_BACKEND decides, else 'auto'. A backend asked for by name that cannot
 * run throws an Error with the reason and the fix.
 */
export async function initBackend(request?: string, options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = resolveBackendRequest(request, options.env);
  const loaders: Record<CandidateId, CandidateLoader> = { ...realLoaders(), ...options.loaders };
  const order = requested === 'auto' ? AUTO_ORDER : CANDIDATES_FOR[requested];
  const mode = requested === 'auto' ? 'auto' : 'requested';
  const attempts: BackendAttempt[] = [];
  for (const candidate of order) {
    const backend = backendOf(candidate);
    let outcome: LoadOutcome;
    try {
      outcome = await loaders[candidate](mode);
    } catch (e) {
      outcome = { ok: false, package: packageOf(candidate), reason: errorMessage(e) };
    }
    if (outcome.ok) {
      attempts.push({ candidate, backend, package: outcome.package, ok: true, reason: outcome.note });
      const details = { tfjs: tf.version.tfjs, ...outcome.details };
      const info: BackendInfo = {
        backend, package: outcome.package, version: outcome.version, details, summary: '', requested, attempts,
      };
      info.summary = summarizeBackend(info);
      return info;
    }
    attempts.push({ candidate, backend, package: outcome.package, ok: false, reason: outcome.reason, fix: outcome.fix });
  }
  // Only a request by name gets here: 'auto' ends with cpu, which always loads.
  const why = attempts
    .map((a) => `  - ${a.candidate} (${a.package}): ${a.reason}${a.fix ? `\n    fix: ${a.fix}` : ''}`)
    .join('\n');
  throw new Error(
    `backend '${requested}' was requested but cannot run here (no fallback when a backend is asked ` +
      `for by name):\n${why}\nRun \`npm run doctor\` for a full report, or choose another with ` +
      `--backend ${BACKEND_NAMES.join('|')}|auto.`,
  );
}

/**
 * The one-line description printed by scripts and stored in their output files. Each skipped
 * candidate's reason is given in full (its first line): the line is a record, not a teaser.
 */
export function summarizeBackend(info: Omit<BackendInfo, 'summary'>): string {
  const d = info.details;
  let facts = '';
  if (info.backend === 'tensorflow') {
    facts = d.cudaInUse === true ? 'CUDA GPU in use' : 'CPU (CUDA not in use)';
  } else if (info.backend === 'wasm') {
    facts = `SIMD ${d.simd ? 'on' : 'off'}, threads ${d.threads ? `on (${String(d.threadsCount)})` : 'off'}`;
  } else if (info.backend === 'webgpu') {
    const a = d.adapter as { description?: string; device?: string; vendor?: string; isSoftware?: boolean } | undefined;
    facts = a
      ? `${a.description || a.device || a.vendor || 'adapter'} (${a.isSoftware ? 'software' : 'hardware'})`
      : 'adapter unknown';
  } else {
    facts = 'plain JavaScript';
  }
  const how = info.requested === 'auto' ? 'auto' : `requested '${info.requested}'`;
  const skipped = info.attempts.filter((a) => !a.ok);
  const skippedText = skipped.length > 0
    ? `; skipped ${skipped.map((a) => `${a.candidate}: ${firstLine(a.reason ?? '')}`).join('; ')}`
    : '';
  return `backend ${info.backend} (${info.package} ${info.version}; ${facts}) [${how}${skippedText}]`;
}
