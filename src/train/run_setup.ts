/**
 * Run setup: from parsed flags to a run ready to start (config, task, model spec, steps, the
 * checkpoint to continue from), reading only; anything wrong is a UsageError or ResumeError before
 * a byte is written. A resume reads nothing outside its folder: config.json, the checkpoint, and
 * the run's copy of its text (or a text named again with --text, checked against its sha256).
 */
import * as path from 'path';
import { RefusedFileError } from '..';
import type { LoadedCheckpoint } from './checkpoint';
import type { ParsedArgs } from './cli';
import { DEFAULT_TEXT, TrainConfig } from './config';
import { Corpus, readCorpus, readCorpusFile } from './corpus';
import { ResumeError, UsageError } from './errors';
import { cellMath, ModelSpec } from './model';
import { MAX_VOCABULARY, sizeProblem } from './ranges';
import { readSavedRun, SavedRun } from './resume';
import { checkRunEntries, RUN_FILES, RunFolder } from './run_folder';
import { compareWithCheckpoint, Overrides, recordedTextSha256 } from './run_identity';
import { makeTask } from './tasks';
import type { Task } from './tasks/task';

/** A run ready to start: flags checked, task built, checkpoint read; nothing written yet. */
export interface RunSetup {
  config: TrainConfig;
  dir: string;
  task: Task;
  spec: ModelSpec;
  steps: number;
  evalEvery: number;
  /** The newest checkpoint that verifies (whether it fits the model is checked in run()). */
  resume: LoadedCheckpoint | null;
  resuming: boolean;
  /** config.json as the run left it (resumes), to which the resume appends its entry. */
  saved: SavedRun | null;
  /** sha256 of the chars task's text, recorded in config.json and the checkpoints, checked on resume. */
  textSha256: string | null;
  /** The text's bytes when the run folder has no copy yet (written when the run goes ahead). */
  textToCopy: Uint8Array | null;
  /** What this resume changes of lr, clipNorm or steps (recorded in config.json's `resumes`). */
  overrides: Overrides;
}

type Resume = Extract<ParsedArgs, { kind: 'resume' }>;

function refused(dir: string, e: unknown): never {
  if (e instanceof RefusedFileError) throw new ResumeError(`--resume: ${e.message}\nNothing in ${dir} was changed.`);
  throw e;
}

/** The run to resume: its folder, config.json and a checkpoint that verifies, or a ResumeError; reads only. */
function readResume(dir: string): { run: RunFolder; saved: SavedRun; checkpoint: LoadedCheckpoint } {
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
    return { run, saved, checkpoint };
  } catch (e) {
    return refused(dir, e);
  }
}

/** The text a resumed chars run continues on: --text, else the run's copy, else (older runs) the shipped default. */
function resumeText(parsed: Resume, run: RunFolder, config: TrainConfig, expected: string | null): { corpus: Corpus; copy: boolean } {
  const dir = parsed.dir;
  let corpus: Corpus;
  const hasCopy = run.reader.exists(RUN_FILES.text, 'file');
  if (parsed.overrides.text !== undefined) corpus = readCorpusFile(parsed.overrides.text);
  else if (hasCopy) corpus = readCorpus(run.reader, RUN_FILES.text);
  else if (config.text === null) corpus = readCorpusFile(DEFAULT_TEXT);
  else {
    throw new ResumeError(
      `--resume: expected the run's text in ${path.join(dir, RUN_FILES.text)} (runs started before tfjs-rnn kept a copy there have none), ` +
        `found none; name it again with --resume ${dir} --text FILE (it is checked against the recorded sha256${expected === null ? '' : ` ${expected}`}). Nothing in ${dir} was changed.`,
    );
  }
  // Runs recorded before the text's sha256 was kept can still resume on the shipped default.
  if (expected !== null && corpus.sha256 !== expected) {
    const where = parsed.overrides.text ?? (hasCopy ? path.join(dir, RUN_FILES.text) : DEFAULT_TEXT);
    throw new ResumeError(`--resume: expected the text the run was trained on (sha256 ${expected}), got ${where} with sha256 ${corpus.sha256}. Nothing in ${dir} was changed.`);
  }
  return { corpus, copy: !hasCopy };
}

/** The model a config asks for on a task. */
export function modelSpecOf(config: TrainConfig, task: Task): ModelSpec {
  return {
    input: task.input,
    embeddingDim: config.embeddingDim,
    cell: config.cell,
    resetAfter: config.resetAfter,
    layers: config.layers,
    bidirectional: config.bidirectional,
    units: config.units,
    activation: config.activation,
    outputDim: task.outputDim,
    objective: task.objective,
    returnSequences: task.returnSequences,
    seed: config.seed,
  };
}

/** Why the model and its tape are too large for this run (nothing allocated yet), or null. */
function modelSizeProblem(spec: ModelSpec, config: TrainConfig): string | null {
  const vocabulary = spec.input.kind === 'tokens' ? spec.input.vocabSize : 0;
  if (vocabulary > MAX_VOCABULARY) return `expected a vocabulary of at most ${MAX_VOCABULARY} distinct characters, got ${vocabulary}`;
  return sizeProblem({
    gates: cellMath(spec).gates,
    inputDim: spec.input.kind === 'tokens' ? spec.embeddingDim : spec.input.dim,
    units: spec.units,
    layers: spec.layers,
    directions: spec.bidirectional ? 2 : 1,
    outputDim: spec.outputDim,
    vocabulary,
    embeddingDim: spec.embeddingDim,
    batchSize: config.batchSize,
    seqLen: config.seqLen,
  });
}

/** The steps the run was last asked for: the newest resume's, else the start's. */
function lastSteps(doc: Record<string, unknown>): number | null {
  const resumes = Array.isArray(doc.resumes) ? (doc.resumes as Array<{ steps?: unknown }>) : [];
  const last = resumes.length > 0 ? resumes[resumes.length - 1].steps : doc.steps;
  return typeof last === 'number' ? last : null;
}

/** Turns parsed flags into a run; throws UsageError for anything wrong, before writing anything. */
export function prepareRun(parsed: Exclude<ParsedArgs, { kind: 'help' }>): RunSetup {
  let config: TrainConfig;
  let resume: LoadedCheckpoint | null = null;
  let saved: SavedRun | null = null;
  let corpus: Corpus | null = null;
  let copyText = true;
  let overrides: Overrides = {};
  const where = parsed.kind === 'resume' ? `--resume: ${path.join(parsed.dir, RUN_FILES.config)}: ` : '';
  if (parsed.kind === 'resume') {
    let run: RunFolder;
    ({ run, saved, checkpoint: resume } = readResume(parsed.dir));
    config = { ...saved.config, out: parsed.dir };
    const o = parsed.overrides;
    if (o.steps !== undefined) {
      config.steps = o.steps;
      config.epochs = null;
    }
    if (o.backend !== undefined) config.backend = o.backend;
    if (o.checkpointEvery !== undefined) config.checkpointEvery = o.checkpointEvery;
    if (o.logEvery !== undefined) config.logEvery = o.logEvery;
    if (o.lr !== undefined) config.lr = o.lr;
    if (o.text !== undefined && config.task !== 'chars') throw new UsageError(`--text: expected only when resuming a chars run, got a ${config.task} run`);
    const ck = resume;
    try {
      overrides = compareWithCheckpoint(config, ck.meta, ck.step, path.join(parsed.dir, RUN_FILES.config));
      if (config.task === 'chars') ({ corpus, copy: copyText } = resumeText(parsed, run, config, recordedTextSha256(ck.meta) ?? saved.textSha256));
    } catch (e) {
      refused(parsed.dir, e);
    }
  } else {
    config = parsed.config;
    try {
      if (config.task === 'chars') corpus = readCorpusFile(config.text ?? DEFAULT_TEXT);
    } catch (e) {
      throw new UsageError(`--text: ${(e as Error).message}`);
    }
  }
  let task: Task;
  try {
    task = makeTask(config.task, { seqLen: config.seqLen, seed: config.seed, text: corpus?.text });
  } catch (e) {
    throw new UsageError(`${where}${(e as Error).message}`);
  }
  const spec = modelSpecOf(config, task);
  const tooLarge = modelSizeProblem(spec, config);
  if (tooLarge !== null) throw new UsageError(`${where}${tooLarge}`);
  const steps = config.steps ?? Math.ceil(((config.epochs ?? 1) * task.epochSize) / config.batchSize);
  if (resume !== null && resume.step > steps) {
    throw new UsageError(`--steps: expected at least the checkpoint's step ${resume.step}, got ${steps}`);
  }
  const previousSteps = saved === null ? null : lastSteps(saved.doc);
  if (parsed.kind === 'resume' && parsed.overrides.steps !== undefined && parsed.overrides.steps !== previousSteps) overrides.steps = { from: previousSteps, to: steps };
  const evalEvery = config.evalEvery >= 0 ? config.evalEvery : Math.max(config.logEvery, Math.round(steps / 10));
  return {
    config,
    dir: config.out,
    task,
    spec,
    steps,
    evalEvery,
    resume,
    resuming: parsed.kind === 'resume',
    saved,
    textSha256: corpus?.sha256 ?? null,
    textToCopy: corpus !== null && copyText ? corpus.bytes : null,
    overrides,
  };
}
