/**
 * The flags of `npm run train`, checked before anything is written: a bad flag is a UsageError
 * (the script prints it with the usage line and exits 2) and leaves no directory behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { BACKEND_NAMES } from '../platform';
import type { JsonField } from '../io/json_field';
import { Activation, CELL_NAMES, CellName } from './model';
import { TASK_NAMES, TaskName } from './tasks/task';

export type OptimizerName = 'sgd' | 'momentum' | 'adam';
const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];
const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu', 'linear'];

/** Everything a run needs; stored in config.json so --resume rebuilds the same run. */
export interface TrainConfig {
  task: TaskName;
  /** Training steps; when null, `epochs` decides (steps = ⌈epochs · epochSize / batchSize⌉). */
  steps: number | null;
  epochs: number | null;
  batchSize: number;
  units: number;
  seqLen: number;
  /** Embedding width (token tasks). */
  embeddingDim: number;
  /** The recurrent cell: SimpleRNN, LSTM or GRU. */
  cell: CellName;
  /** GRU: reset gate after the recurrent matMul (Keras ≥ 2.3's form; stock tfjs cannot load it). */
  resetAfter: boolean;
  /** Stacked recurrent layers. */
  layers: number;
  /** Each recurrent layer Bidirectional (concat). */
  bidirectional: boolean;
  /** SimpleRNN's activation; a gated cell's candidate activation. */
  activation: Activation;
  lr: number;
  optimizer: OptimizerName;
  /** Global gradient-norm clip; 0 = off. */
  clipNorm: number;
  seed: number;
  /** Backend asked for ('auto' = let src/backend.ts choose). */
  backend: string;
  /** Checkpoint every N steps (and at the end, and on SIGINT/SIGTERM). */
  checkpointEvery: number;
  /** A metrics.jsonl line (and a log line or bar update) every N steps. */
  logEvery: number;
  /** Held-out evaluation every N steps; 0 = only at the end. */
  evalEvery: number;
  /** chars: print sampled text every N steps; 0 = never. */
  sampleEvery: number;
  /** chars: the text file (absolute); null = the shipped default. */
  text: string | null;
  /** The run directory. */
  out: string;
}

type TaskDefaults = Partial<TrainConfig> & { steps: number; seqLen: number; units: number; batchSize: number; lr: number };

/** Defaults per task: sizes that learn in a reasonable time on a 2-core CPU. */
export const TASK_DEFAULTS: Record<TaskName, TaskDefaults> = {
  adding: { steps: 3000, seqLen: 100, units: 64, batchSize: 64, lr: 0.001, activation: 'relu' },
  sine: { steps: 2000, seqLen: 40, units: 64, batchSize: 64, lr: 0.001, activation: 'relu' },
  sentiment: { steps: 300, seqLen: 250, units: 100, batchSize: 32, lr: 0.003 },
  chars: { steps: 2000, seqLen: 50, units: 128, batchSize: 32, lr: 0.003, embeddingDim: 32 },
};

/**
 * What a gated cell changes in a task's defaults (measured: README, "Every task with every cell").
 * Gated cells run their candidate through tanh, whatever SimpleRNN's default activation is.
 */
type CellDefaults = Partial<Pick<TaskDefaults, 'seqLen' | 'units' | 'batchSize' | 'lr' | 'activation'>> & { steps?: number };
type GatedDefaults = Partial<Record<TaskName, CellDefaults>> & { all: CellDefaults };
const GATED_DEFAULTS: GatedDefaults = {
  all: { activation: 'tanh' },
  adding: { units: 32, lr: 0.01, steps: 1000 },
  sine: { units: 32, steps: 1000 },
  sentiment: { units: 32 },
  chars: { steps: 800 },
};
/** The two gated cells differ only in the adding problem's steps (LSTM needs more). */
const CELL_DEFAULTS: Record<Exclude<CellName, 'simple'>, GatedDefaults> = {
  lstm: { ...GATED_DEFAULTS, adding: { units: 32, lr: 0.01, steps: 1500 } },
  gru: GATED_DEFAULTS,
};

/** A task's defaults for a cell. */
export function defaultsFor(task: TaskName, cell: CellName): TaskDefaults {
  if (cell === 'simple') return TASK_DEFAULTS[task];
  const c = CELL_DEFAULTS[cell];
  return { ...TASK_DEFAULTS[task], ...c.all, ...c[task] };
}

export const DEFAULT_TASK: TaskName = 'adding';

/** Why a model's flags do not go together, or null. */
function modelFlagsProblem(task: TaskName, cell: CellName, resetAfter: boolean, bidirectional: boolean): string | null {
  if (resetAfter && cell !== 'gru') return `--reset-after: expected only with --cell gru, got --cell ${cell}`;
  if (bidirectional && task === 'chars') {
    return '--bidirectional: expected a task that reads the whole sequence before answering (adding, sine, sentiment), got --task chars, which predicts each next character from the ones before it';
  }
  return null;
}

export const DEFAULT_TEXT = path.join(__dirname, '..', '..', 'data', 'default.txt');

/** A bad flag: the script prints it with the usage line and exits 2. */
export class UsageError extends Error {
  readonly showUsage: boolean = true;
}

/**
 * A run that cannot be resumed as asked (no checkpoint, none that fits, a damaged config.json):
 * the script prints it, without the usage line, and exits 2; nothing of the run was changed.
 */
export class ResumeError extends UsageError {
  override readonly showUsage: boolean = false;
}

export const USAGE =
  'usage: npm run train -- [--task adding|sine|sentiment|chars] [--cell simple|lstm|gru] [--reset-after]\n' +
  '         [--layers N] [--bidirectional] [--steps N | --epochs N] [--batch-size N]\n' +
  '         [--units N] [--seq-len N] [--embedding-dim N] [--activation tanh|relu|linear] [--lr X]\n' +
  '         [--optimizer sgd|momentum|adam] [--clip-norm X] [--seed N] [--backend NAME] [--out DIR]\n' +
  '         [--checkpoint-every N] [--log-every N] [--eval-every N] [--sample-every N] [--text FILE]\n' +
  '       npm run train -- --resume DIR [--steps N] [--backend NAME] [--checkpoint-every N] [--log-every N]\n' +
  '       npm run train -- --help';

export const HELP = `${USAGE}

Trains a SimpleRNN, LSTM or GRU (tfjs-rnn's layers: manual BPTT) on a built-in task and leaves in
the run directory: config.json, metrics.jsonl, loss_curve.svg, grad_flow.svg, model/ (tfjs-layers
model.json + weights.bin, stock class names), checkpoint/, summary.json.

  --task NAME           adding (default): sum of two marked numbers, MSE vs 0.167 baseline
                        sine: next value of noisy sine mixtures, vs persistence
                        sentiment: synthetic IMDB (vocab 5000, length 250), Embedding → SimpleRNN → Dense(1, sigmoid)
                        chars: character language model on --text FILE (default: data/default.txt)
  --cell NAME           simple (default): SimpleRNN | lstm: LSTM | gru: GRU; gated cells use
                        recurrentActivation sigmoid (Keras's), LSTM forget bias 1, activation tanh;
                        their default steps, units and lr per task differ (README, Training)
  --reset-after         gru: Keras ≥ 2.3's / PyTorch's GRU (bias [2, 3H]). Off by default, so that
                        stock tf.loadLayersModel reads model/; with it, only tfjs-rnn's
                        loadLayersModel does (stock tfjs refuses reset_after: true)
  --layers N            stacked recurrent layers (default 1)
  --bidirectional       each recurrent layer reads forwards and backwards (concat); not with chars
  --steps N             training steps (default per task: ${TASK_NAMES.map((t) => `${t} ${TASK_DEFAULTS[t].steps}`).join(', ')})
  --epochs N            instead of --steps: passes over the task's epoch (sentiment: 5000 reviews)
  --batch-size N        sequences per step (default 64 for adding and sine, 32 otherwise)
  --units N             units of each recurrent layer (default per task)
  --seq-len N           sequence length T (default per task: ${TASK_NAMES.map((t) => `${t} ${TASK_DEFAULTS[t].seqLen}`).join(', ')})
  --embedding-dim N     embedding width for token tasks (default 32)
  --activation NAME     tanh | relu | linear (default: SimpleRNN relu for adding and sine, tanh otherwise)
  --lr X                learning rate (default per task)
  --optimizer NAME      sgd | momentum (0.9) | adam (default), tfjs's tf.train optimizers
  --clip-norm X         clip the global gradient norm to X (default 1; 0 = off)
  --seed N              seeds data, initial weights and sampling (default 1)
  --backend NAME        ${BACKEND_NAMES.join(' | ')} | auto (default auto)
  --out DIR             run directory (default runs/<task>-<timestamp>); must not exist or be empty
  --resume DIR          continue the run in DIR from its newest good checkpoint (same losses, bit
                        for bit, as an uninterrupted run on the same backend)
  --checkpoint-every N  steps between checkpoints (default 100)
  --log-every N         steps between metrics lines (default 10)
  --eval-every N        steps between held-out evaluations (default steps/10; 0 = end only)
  --sample-every N      chars: steps between printed samples (default 200; 0 = never)
  --text FILE           chars: the text to learn
  --help                this text

Each task states its quality bar on a held-out set at the start and says at the end whether it was
passed (summary.json). The default (adding, T = 100) takes 2–3 minutes on a 2-core CPU (wasm)
and ends near MSE 0.01, against the bar 0.0333 (5× below the 0.1667 of always answering 1.0).
Ctrl-C / SIGTERM saves a checkpoint and prints the command to resume. Exit codes: 0 done,
2 bad flags or a run that cannot be resumed (its files left as they were), 3 loss became NaN/Inf,
130/143 stopped by SIGINT/SIGTERM, 1 other errors.
`;

const OPTIONS = {
  task: { type: 'string' },
  cell: { type: 'string' },
  'reset-after': { type: 'boolean' },
  layers: { type: 'string' },
  bidirectional: { type: 'boolean' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  units: { type: 'string' },
  'seq-len': { type: 'string' },
  'embedding-dim': { type: 'string' },
  activation: { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  'clip-norm': { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'log-every': { type: 'string' },
  'eval-every': { type: 'string' },
  'sample-every': { type: 'string' },
  text: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flags allowed together with --resume (everything else comes from the run's config.json). */
const RESUME_FLAGS = new Set(['resume', 'steps', 'backend', 'checkpoint-every', 'log-every']);

/**
 * The config a run saved in its config.json, checked field by field (the file travels with the
 * run and may have been edited or damaged): a RefusedFileError names the file and the field.
 */
export function configFromJson(doc: JsonField): TrainConfig {
  const c = doc.get('config');
  const int = (key: string, min: number): number => c.get(key).int(min);
  const config: TrainConfig = {
    task: c.get('task').oneOf(TASK_NAMES),
    steps: c.get('steps').orNull((f) => f.int(1)),
    epochs: c.get('epochs').orNull((f) => f.number(0, Infinity, true)),
    batchSize: int('batchSize', 1),
    units: int('units', 1),
    seqLen: int('seqLen', 1),
    embeddingDim: int('embeddingDim', 1),
    // Runs from before these fields trained one SimpleRNN layer.
    cell: c.has('cell') ? c.get('cell').oneOf(CELL_NAMES) : 'simple',
    resetAfter: c.has('resetAfter') ? bool(c.get('resetAfter')) : false,
    layers: c.has('layers') ? int('layers', 1) : 1,
    bidirectional: c.has('bidirectional') ? bool(c.get('bidirectional')) : false,
    activation: c.get('activation').oneOf(ACTIVATIONS),
    lr: c.get('lr').number(0, Infinity, true),
    optimizer: c.get('optimizer').oneOf(OPTIMIZERS),
    clipNorm: c.get('clipNorm').number(0),
    seed: int('seed', 0),
    backend: c.get('backend').oneOf([...BACKEND_NAMES, 'auto']),
    checkpointEvery: int('checkpointEvery', 1),
    logEvery: int('logEvery', 1),
    evalEvery: int('evalEvery', -1),
    sampleEvery: int('sampleEvery', 0),
    text: c.get('text').orNull((f) => f.string()),
    out: c.get('out').string(),
  };
  if (config.steps === null && config.epochs === null) c.get('steps').fail('a step count when config.epochs is null');
  const problem = modelFlagsProblem(config.task, config.cell, config.resetAfter, config.bidirectional);
  if (problem !== null) c.fail(`a config whose flags go together (${problem})`);
  return config;
}

function bool(f: JsonField): boolean {
  if (typeof f.value !== 'boolean') f.fail('true or false');
  return f.value;
}

function positiveInt(flag: string, v: string | undefined, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new UsageError(`--${flag}: expected a ${allowZero ? 'non-negative' : 'positive'} integer, got '${v}'`);
  }
  return n;
}

function positiveNumber(flag: string, v: string | undefined, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new UsageError(`--${flag}: expected a ${allowZero ? 'non-negative' : 'positive'} number, got '${v}'`);
  }
  return n;
}

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new UsageError(`--${flag}: expected one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

export type ParsedArgs =
  | { kind: 'help' }
  | { kind: 'new'; config: TrainConfig }
  | { kind: 'resume'; dir: string; overrides: { steps?: number; backend?: string; checkpointEvery?: number; logEvery?: number } };

function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}

/** Parses and checks argv (without node and the script). Throws UsageError; writes nothing. */
export function parseTrainArgs(argv: readonly string[], now: Date = new Date()): ParsedArgs {
  let values: Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = values as Partial<Record<keyof typeof OPTIONS, string>>;
  if (values.help === true) return { kind: 'help' };
  const backend = oneOf('backend', v.backend, [...BACKEND_NAMES, 'auto']);
  if (v.resume !== undefined) {
    const extra = Object.keys(values).filter((k) => !RESUME_FLAGS.has(k));
    if (extra.length > 0) {
      throw new UsageError(`--resume: expected only --steps, --backend, --checkpoint-every, --log-every beside it (the rest comes from config.json), got --${extra.join(', --')}`);
    }
    const dir = path.resolve(v.resume);
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`--resume: expected a run directory with config.json, got '${v.resume}'`);
    return {
      kind: 'resume',
      dir,
      overrides: {
        steps: positiveInt('steps', v.steps),
        backend,
        checkpointEvery: positiveInt('checkpoint-every', v['checkpoint-every']),
        logEvery: positiveInt('log-every', v['log-every']),
      },
    };
  }
  const task = oneOf('task', v.task, TASK_NAMES) ?? DEFAULT_TASK;
  const cell = oneOf('cell', v.cell, CELL_NAMES) ?? 'simple';
  const resetAfter = values['reset-after'] === true;
  const bidirectional = values.bidirectional === true;
  const problem = modelFlagsProblem(task, cell, resetAfter, bidirectional);
  if (problem !== null) throw new UsageError(problem);
  const d = defaultsFor(task, cell);
  if (v.steps !== undefined && v.epochs !== undefined) throw new UsageError('expected --steps or --epochs, got both');
  const epochs = positiveNumber('epochs', v.epochs) ?? null;
  const steps = positiveInt('steps', v.steps) ?? (epochs === null ? d.steps : null);
  let text: string | null = null;
  if (v.text !== undefined) {
    if (task !== 'chars') throw new UsageError(`--text: expected only with --task chars, got --task ${task}`);
    text = path.resolve(v.text);
    if (!fs.existsSync(text) || !fs.statSync(text).isFile()) throw new UsageError(`--text: expected a readable file, got '${v.text}' (not found)`);
  }
  const out = path.resolve(v.out ?? path.join('runs', `${task}-${timestamp(now)}`));
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new UsageError(`--out: expected a new or empty directory, got '${out}' which holds files (use --resume ${out} to continue it)`);
  }
  const config: TrainConfig = {
    task,
    steps,
    epochs,
    batchSize: positiveInt('batch-size', v['batch-size']) ?? d.batchSize,
    units: positiveInt('units', v.units) ?? d.units,
    seqLen: positiveInt('seq-len', v['seq-len']) ?? d.seqLen,
    embeddingDim: positiveInt('embedding-dim', v['embedding-dim']) ?? d.embeddingDim ?? 32,
    cell,
    resetAfter,
    layers: positiveInt('layers', v.layers) ?? 1,
    bidirectional,
    activation: oneOf('activation', v.activation, ACTIVATIONS) ?? d.activation ?? 'tanh',
    lr: positiveNumber('lr', v.lr) ?? d.lr,
    optimizer: oneOf('optimizer', v.optimizer, OPTIMIZERS) ?? 'adam',
    clipNorm: positiveNumber('clip-norm', v['clip-norm'], true) ?? 1,
    seed: positiveInt('seed', v.seed, true) ?? 1,
    backend: backend ?? 'auto',
    checkpointEvery: positiveInt('checkpoint-every', v['checkpoint-every']) ?? 100,
    logEvery: positiveInt('log-every', v['log-every']) ?? 10,
    evalEvery: positiveInt('eval-every', v['eval-every'], true) ?? -1,
    sampleEvery: positiveInt('sample-every', v['sample-every'], true) ?? 200,
    text,
    out,
  };
  return { kind: 'new', config };
}
