/**
 * The doctor's real probes: files, ldconfig, nvidia-smi, a child process that loads tfjs-node(-gpu),
 * Dawn, and an in-process check of each backend.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../backend/select';
import type { BackendName } from '../backend/types';
import { ldconfigCache, listDir, markedJson, packageInfo } from '../system';
import { errorMessage } from '../text';
import { gpuDeviceNodes } from '../webgpu/environment';
import type { WebGPUProbe } from '../webgpu/types';
import type { BackendCheckFact, ChildLoadResult, DoctorProbes } from './types';

/** The project root (where package.json and node_modules are). */
function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'node_modules'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

function realNodeBinaries(dir: string): { bindingPath?: string; libtensorflowPath?: string } {
  const out: { bindingPath?: string; libtensorflowPath?: string } = {};
  const libDir = path.join(dir, 'lib');
  const candidates = [path.join(dir, 'deps', 'lib')];
  for (const sub of listDir(libDir)) if (sub.startsWith('napi-v')) candidates.push(path.join(libDir, sub));
  for (const d of candidates) {
    for (const f of listDir(d)) {
      if (f === 'tfjs_binding.node' && !out.bindingPath) out.bindingPath = path.join(d, f);
      if (/^libtensorflow\.so(\.\d+)*$/.test(f) && !out.libtensorflowPath) out.libtensorflowPath = path.join(d, f);
    }
  }
  return out;
}

const CHILD_MARK = '@@TFJS_RNN_DOCTOR@@';

/** The script the child process runs: load, report, run one op, report again. */
function childScript(pkg: string): string {
  return `
const mark = ${JSON.stringify(CHILD_MARK)};
const out = { loaded: false };
const emit = () => process.stdout.write('\\n' + mark + JSON.stringify(out) + '\\n');
let tf;
try {
  tf = require(${JSON.stringify(pkg)});
  out.loaded = true;
  const b = tf.engine().findBackend('tensorflow') || {};
  out.isUsingGpuDevice = b.isUsingGpuDevice === true;
} catch (e) {
  out.error = String((e && e.stack) || e);
  out.errorCode = e && e.code;
}
emit();
if (out.loaded) {
  try {
    const t0 = Date.now();
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
    out.opValues = Array.from(y.dataSync());
    out.opMs = Date.now() - t0;
  } catch (e) {
    out.error = String((e && e.stack) || e);
  }
  emit();
}
`;
}

/**
 * Loads a tfjs-node package in a child process (cwd decides where it resolves from): a crash, an
 * abort or a 30-minute PTX JIT cannot take the doctor down, and TensorFlow's own log (stderr, with
 * TF_CPP_MIN_LOG_LEVEL=0) says which CUDA library it could not open.
 */
export function loadNodePackageInChild(
  pkg: string,
  opts: { cwd?: string; timeoutMs?: number } = {},
): ChildLoadResult {
  const timeoutMs = opts.timeoutMs ?? 180000;
  const r = spawnSync(process.execPath, ['-e', childScript(pkg)], {
    cwd: opts.cwd ?? projectRoot(),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0' },
  });
  const result = markedJson<Partial<ChildLoadResult>>(r.stdout ?? '', CHILD_MARK) ?? {};
  const timedOut = r.error !== undefined && /ETIMEDOUT/.test(String(r.error)) || r.signal === 'SIGTERM';
  const crashed = result.loaded === undefined
    ? `the child process ${timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${r.signal ?? r.status}`} before reporting`
    : undefined;
  return {
    loaded: result.loaded === true,
    error: result.error ?? crashed ?? (timedOut ? `timed out after ${timeoutMs} ms` : undefined),
    errorCode: result.errorCode,
    isUsingGpuDevice: result.isUsingGpuDevice,
    opValues: result.opValues,
    opMs: result.opMs,
    timedOut,
    stderr: r.stderr ?? '',
  };
}

function realNvidiaSmi(): { found: boolean; stdout?: string; error?: string } {
  const query = ['--query-gpu=name,driver_version,compute_cap,memory.total', '--format=csv,noheader'];
  const run = (args: string[]): { stdout?: string; error?: string; notFound?: boolean } => {
    try {
      return { stdout: execFileSync('nvidia-smi', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 }) };
    } catch (e) {
      const err = e as { code?: string; stdout?: string; stderr?: string; message: string };
      if (err.code === 'ENOENT') return { notFound: true };
      return { error: `${(err.stdout ?? '').trim()} ${(err.stderr ?? '').trim()}`.trim() || err.message };
    }
  };
  let r = run(query);
  if (r.notFound) return { found: false };
  // Drivers older than 510 do not know compute_cap.
  if (r.error && /compute_cap/.test(r.error)) {
    r = run(['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
    if (r.stdout) r.stdout = r.stdout.split('\n').map((l) => { const p = l.split(','); return p.length === 3 ? [p[0], p[1], '[N/A]', p[2]].join(',') : l; }).join('\n');
  }
  return { found: true, stdout: r.stdout, error: r.error };
}

async function realProbeWebGPU(): Promise<WebGPUProbe> {
  // Lazy: a broken Dawn shows up in the report instead of stopping the doctor.
  const mod = require('../webgpu/probe') as { probeWebGPU(): Promise<WebGPUProbe> };
  return mod.probeWebGPU();
}

async function realCheckBackend(name: BackendName): Promise<BackendCheckFact> {
  try {
    const info = await initBackend(name);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])));
    const v = Array.from(await y.data());
    y.dispose();
    const ok = [19, 22, 43, 50].every((e, i) => Math.abs(v[i] - e) < 1e-4);
    return {
      backend: name,
      ok,
      package: info.package,
      version: info.version,
      summary: info.summary,
      details: info.details,
      error: ok ? undefined : `matMul test gave [${v.join(', ')}], expected [19, 22, 43, 50]`,
    };
  } catch (e) {
    return { backend: name, ok: false, error: errorMessage(e) };
  }
}

export interface RealProbeOptions {
  /** Limit for the child process that loads tfjs-node(-gpu), first op included (ms). */
  childTimeoutMs?: number;
}

/** The probes that look at this machine. */
export function realProbes(opts: RealProbeOptions = {}): DoctorProbes {
  return {
    packageInfo,
    nodeBinaries: realNodeBinaries,
    loadNodePackage: async (pkg) => loadNodePackageInChild(pkg, { timeoutMs: opts.childTimeoutMs }),
    ldconfig: ldconfigCache,
    listDir,
    nvidiaSmi: realNvidiaSmi,
    probeWebGPU: realProbeWebGPU,
    gpuDeviceNodes,
    checkBackend: realCheckBackend,
    runtimeDirChange: () => (require('../webgpu/runtime_dir') as typeof import('../webgpu/runtime_dir')).runtimeDirChange(),
    env: process.env,
  };
}
