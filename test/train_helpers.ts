/**
 * Helpers for the training tests: run `npm run train` in-process (quiet) or as a child process,
 * read metrics.jsonl, make temporary run directories.
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BackendInfo } from '../src/backend';
import { initBackend } from '../src/backend';
import { parseTrainArgs } from '../src/train/cli';
import { LineProgress } from '../src/train/progress';
import { prepareRun, Trainer, MetricsLine, TrainResult } from '../src/train/trainer';

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
