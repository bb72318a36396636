/**
 * Helpers for the training tests: run `npm run train` in-process (quiet) or as a child process,
 * read metrics.jsonl, make temporary run directories.
 */
import { spawn, ChildProcess } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
// The module object itself (not an import wrapper), so spies on it see every caller's use.
import nodeFs = require('fs');
import * as os from 'os';
import * as path from 'path';
import type { BackendInfo } from '../src/platform';
import type { CheckpointContents } from '../src/train/checkpoint';
import type { ModelSpec } from '../src/train/model';
import { initBackend } from '../src/platform';
import { parseTrainArgs } from '../src/train/cli';
import { LineProgress } from '../src/train/progress';
import { prepareRun } from '../src/train/run_setup';
import type { MetricsLine, TrainResult } from '../src/train/summary';
import { Trainer } from '../src/train/trainer';

export const REPO = path.join(__dirname, '..');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tfjs-rnn-${prefix}-`));
}

/** Runs the trainer in this process with the given flags; returns its result and the log lines. */
export async function trainInProcess(argv: string[], backend = 'cpu'): Promise<{ result: TrainResult; log: string[]; info: BackendInfo }> {
  const parsed = parseTrainArgs(argv);
  if (parsed.kind === 'help') throw new Error('expected training flags, got --help');
  const setup = prepareRun(parsed);
  const info = await initBackend(backend);
  const log: string[] = [];
  const trainer = new Trainer(setup, info, new LineProgress((l) => log.push(l)));
  const result = await trainer.run();
  return { result, log, info };
}

export function readMetricsLines(dir: string): MetricsLine[] {
  return fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MetricsLine);
}

export interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts scripts/train.ts in a child process (stdout is a pipe, so plain log lines). */
export function spawnTrain(args: string[]): { child: ChildProcess; done: Promise<SpawnResult>; stdout: () => string } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(REPO, 'scripts', 'train.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, TFJS_RNN_BACKEND: 'cpu' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<SpawnResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

/** Resolves when the child's stdout has matched re (or rejects when it exits first). */
export function waitForOutput(run: ReturnType<typeof spawnTrain>, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (re.test(run.stdout())) {
        run.child.stdout?.off('data', check);
        resolve();
      }
    };
    run.child.stdout?.on('data', check);
    run.done.then(() => (re.test(run.stdout()) ? resolve() : reject(new Error(`process exited before printing ${re}`))));
    check();
  });
}

/** Every entry under dir (links not followed): kind and content hash, to prove nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const full = path.join(dir, r);
      const st = fs.lstatSync(full);
      if (st.isSymbolicLink()) out[r] = `link → ${fs.readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[r] = 'dir';
        walk(r);
      } else if (st.isFile()) out[r] = `file ${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
      else out[r] = 'special';
    }
  };
  walk('');
  return out;
}

/**
 * Rewrites a checkpoint's manifest with edit() and, where the format has one, its checksum too:
 * what someone crafting a checkpoint would do, so the other checks are the ones tested.
 */
export function craftManifest(ckptDir: string, edit: (m: ManifestDoc) => void): void {
  const file = path.join(ckptDir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as ManifestDoc;
  edit(m);
  const text = JSON.stringify(m, null, 1);
  fs.writeFileSync(file, text);
  const sum = path.join(ckptDir, 'manifest.sha256');
  if (fs.existsSync(sum)) fs.writeFileSync(sum, `${createHash('sha256').update(text).digest('hex')}  manifest.json\n`);
}

export interface ManifestDoc {
  format: string;
  version: number;
  step: unknown;
  meta: Record<string, unknown>;
  files: Record<string, { group: string; bytes: number; sha256: string; arrays: Array<{ name: string; shape: unknown; dtype: string; offset: number; length: number }> }>;
}

export function sha256Of(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A small checkpoint's contents (two groups, float32 and int32), distinct per step. */
export function tinyCheckpoint(step: number): CheckpointContents {
  return {
    step,
    meta: { data: { position: step } },
    groups: {
      model: [{ name: 'w', shape: [2, 3], dtype: 'float32', data: Float32Array.from([1, 2, 3, 4, 5, step]) }],
      optimizer: [{ name: 'iter', shape: [], dtype: 'int32', data: Int32Array.from([step]) }],
    },
  };
}

/**
 * Records every path this process opens or reads through fs while it is on (files under `ignore`,
 * such as modules jest loads late, are left out); stop() ends the recording and returns the paths.
 */
export function recordOpens(ignore: string[] = [path.join(REPO, 'node_modules')]): { stop: () => string[] } {
  const seen: string[] = [];
  const note = (p: unknown): void => {
    if (typeof p !== 'string' && !(p instanceof URL) && !Buffer.isBuffer(p)) return;
    const abs = path.resolve(p.toString());
    if (!ignore.some((d) => abs.startsWith(d))) seen.push(abs);
  };
  const spies = (['openSync', 'readFileSync', 'createReadStream'] as const).map((name) => {
    const original = nodeFs[name] as (...a: unknown[]) => unknown;
    return jest.spyOn(nodeFs, name).mockImplementation(((...args: unknown[]) => {
      note(args[0]);
      return original.apply(nodeFs, args);
    }) as never);
  });
  return {
    stop: () => {
      spies.forEach((s) => s.mockRestore());
      return seen;
    },
  };
}

/** A model spec with one forward SimpleRNN layer unless `spec` says otherwise. */
export function modelSpec(spec: Omit<ModelSpec, 'cell' | 'resetAfter' | 'layers' | 'bidirectional'> & Partial<ModelSpec>): ModelSpec {
  return { cell: 'simple', resetAfter: false, layers: 1, bidirectional: false, ...spec };
}
