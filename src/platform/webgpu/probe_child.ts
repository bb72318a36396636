/**
 * probeWebGPU in a child process. Loading Dawn prints its warnings natively on stderr
 * ("Couldn't load Vulkan", "... artificially reduced", Mesa's XDG_RUNTIME_DIR note) where no hook
 * can catch them; in a child they stay in the child's captured stderr, and this process never
 * loads Dawn unless it is going to use it.
 */
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { markedJson } from '../system';
import { errorMessage } from '../text';
import type { ProbeWithAttempts } from './probe';
import type { AdapterOptions } from './types';

const MARK = '@@TFJS_RNN_WEBGPU_PROBE@@';
const CHILD_TIMEOUT_MS = 90000;

/** probeWebGPU's answer and attempts as the child reported them, plus the child's stderr. */
export interface ChildProbe extends ProbeWithAttempts {
  stderr: string;
}

/** node's arguments for the child: our own probe module (through ts-node when we run from source). */
function childArgs(opts: AdapterOptions): { args: string[]; cwd: string } {
  const probeModule = require.resolve('./probe');
  const preload = probeModule.endsWith('.ts') ? ['-r', require.resolve('ts-node/register/transpile-only')] : [];
  const script =
    `require(${JSON.stringify(probeModule)}).probeWebGPUWithAttempts(${JSON.stringify(opts)})` +
    `.then((r) => process.stdout.write('\\n' + ${JSON.stringify(MARK)} + JSON.stringify(r) + '\\n'))`;
  // cwd: where ts-node finds the project's tsconfig.json.
  return { args: [...preload, '-e', script], cwd: path.dirname(probeModule) };
}

function childResult(stdout: string, stderr: string, failure: string | undefined): ChildProbe {
  const reported = markedJson<ProbeWithAttempts>(stdout, MARK);
  if (reported) return { ...reported, stderr };
  const reason = `the WebGPU probe (a child process) did not report: ${failure ?? 'no output'}` +
    (stderr.trim() ? `; its stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '');
  return { probe: { available: false, reason, vulkanLoader: false, vulkanDrivers: [] }, tried: [], stderr };
}

/** probeWebGPU run in a child process; never throws. */
export function probeWebGPUInChild(opts: AdapterOptions = {}): Promise<ChildProbe> {
  const { args, cwd } = childArgs(opts);
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(process.execPath, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: CHILD_TIMEOUT_MS });
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => resolve(childResult(stdout, stderr, errorMessage(e))));
    child.on('close', (code, signal) => resolve(childResult(stdout, stderr, `exited with ${signal ?? code}`)));
  });
}

/** probeWebGPUInChild, blocking: for decisions that must be made synchronously (which tests run). */
export function probeWebGPUInChildSync(opts: AdapterOptions = {}): ChildProbe {
  const { args, cwd } = childArgs(opts);
  const r = spawnSync(process.execPath, args, { cwd, env: process.env, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  const failure = r.error ? errorMessage(r.error) : `exited with ${r.signal ?? r.status}`;
  return childResult(r.stdout ?? '', r.stderr ?? '', failure);
}
