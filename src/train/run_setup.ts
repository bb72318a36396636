/**
 * Run setup: from parsed flags to a run ready to start (config, task, steps, the checkpoint to
 * continue from), reading only; anything wrong is a UsageError or ResumeError before a byte is
 * written.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { RefusedFileError } from '../io/safe_dir';
import type { LoadedCheckpoint } from './checkpoint';
import type { ParsedArgs } from './cli';
import { DEFAULT_TEXT, TrainConfig } from './config';
import { ResumeError, UsageError } from './errors';
import { readSavedRun, SavedRun } from './resume';
import { checkRunEntries, RUN_FILES, RunFolder } from './run_folder';
import { makeTask } from './tasks';
import type { Task } from './tasks/task';

/** A run ready to start: flags checked, task built, checkpoint read; nothing written yet. */
export interface RunSetup {
  config: TrainConfig;
  dir: string;
  task: Task;
  steps: number;
  evalEvery: number;
  /** The newest checkpoint that verifies (whether it fits the model is checked in run()). */
  resume: LoadedCheckpoint | null;
  resuming: boolean;
  /** config.json as the run left it (resumes), to which the resume appends its entry. */
  saved: SavedRun | null;
  /** sha256 of the chars task's text, recorded in config.json and checked on resume. */
  textSha256: string | null;
}

/** The chars task's text (the user's own --text file, or the shipped default) and its sha256. */
function readText(config: TrainConfig): { text: string; sha256: string } | null {
  if (config.task !== 'chars') return null;
  const file = config.text ?? DEFAULT_TEXT;
  if (!fs.existsSync(file)) throw new UsageError(`--text: expected a readable file, got '${file}' (not found)`);
  const bytes = fs.readFileSync(file);
  return { text: bytes.toString('utf8'), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The run to resume: config.json and a checkpoint that verifies, or a ResumeError; reads only. */
function readResume(dir: string): { saved: SavedRun; checkpoint: LoadedCheckpoint } {
  try {
    const run = RunFolder.open(dir);
    checkRunEntries(run.reader);
    const saved = readSavedRun(run.reader);
    const checkpoint = run.loadCheckpoint();
    if (checkpoint === null) {
      throw new ResumeError(
        `--resume: expected a checkpoint in ${path.join(dir, RUN_FILES.checkpoints)}, found none (the run stopped before its first ` +
          `checkpoint, or they were removed); start a new run with --out instead. Nothing in ${dir} was changed.`,
      );
    }
    return { saved, checkpoint };
  } catch (e) {
    if (e instanceof RefusedFileError) throw new ResumeError(`--resume: ${e.message}\nNothing in ${dir} was changed.`);
    throw e;
  }
}

/** Turns parsed flags into a run; throws UsageError for anything wrong, before writing anything. */
export function prepareRun(parsed: Exclude<ParsedArgs, { kind: 'help' }>): RunSetup {
  let config: TrainConfig;
  let resume: LoadedCheckpoint | null = null;
  let saved: SavedRun | null = null;
  if (parsed.kind === 'resume') {
    ({ saved, checkpoint: resume } = readResume(parsed.dir));
    config = { ...saved.config, out: parsed.dir };
    const o = parsed.overrides;
    if (o.steps !== undefined) {
      config.steps = o.steps;
      config.epochs = null;
    }
    if (o.backend !== undefined) config.backend = o.backend;
    if (o.checkpointEvery !== undefined) config.checkpointEvery = o.checkpointEvery;
    if (o.logEvery !== undefined) config.logEvery = o.logEvery;
  } else {
    config = parsed.config;
  }
  let task: Task;
  let text: ReturnType<typeof readText>;
  try {
    text = readText(config);
    // Runs recorded before the text's sha256 was kept can still resume on the shipped default.
    const unchecked = saved !== null && saved.textSha256 === null && config.text === null;
    if (saved !== null && text !== null && !unchecked && text.sha256 !== saved.textSha256) {
      throw new ResumeError(
        `--resume: expected the text the run was trained on (sha256 ${saved.textSha256 ?? 'not recorded'}), got ` +
          `${config.text ?? DEFAULT_TEXT} with sha256 ${text.sha256}. Nothing in ${parsed.kind === 'resume' ? parsed.dir : config.out} was changed.`,
      );
    }
    task = makeTask(config.task, { seqLen: config.seqLen, seed: config.seed, text: text?.text });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  const steps = config.steps ?? Math.ceil(((config.epochs ?? 1) * task.epochSize) / config.batchSize);
  if (resume !== null && resume.step > steps) {
    throw new UsageError(`--steps: expected at least the checkpoint's step ${resume.step}, got ${steps}`);
  }
  const evalEvery = config.evalEvery >= 0 ? config.evalEvery : Math.max(config.logEvery, Math.round(steps / 10));
  return { config, dir: config.out, task, steps, evalEvery, resume, resuming: parsed.kind === 'resume', saved, textSha256: text?.sha256 ?? null };
}
