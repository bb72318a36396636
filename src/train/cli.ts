/**
 * The flags of `npm run train`, checked before anything is written: a bad flag is a UsageError
 * (the script prints it with the usage line and exits 2) and leaves no directory behind. The
 * config they fill, and its defaults, are in config.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { BACKEND_NAMES } from '..';
import { ACTIVATIONS, defaultsFor, DEFAULT_TASK, modelFlagsProblem, OPTIMIZERS, TASK_DEFAULTS, TrainConfig } from './config';
import { UsageError } from './errors';
import { inRange, interval, RangedField, RANGES } from './ranges';
import { unknownFlagMessage } from './flag_suggestions';
import { CELL_NAMES } from './model';
import { TASK_NAMES } from './tasks/task';

export const USAGE =
  'usage: npm run train -- [--task adding|sine|sentiment|chars] [--cell simple|lstm|gru] [--reset-after]\n' +
  '         [--layers N] [--bidirectional] [--steps N | --epochs N] [--batch-size N]\n' +
  '         [--units N] [--seq-len N] [--embedding-dim N] [--activation tanh|relu|linear] [--lr X]\n' +
  '         [--optimizer sgd|momentum|adam] [--clip-norm X] [--seed N] [--backend NAME] [--out DIR]\n' +
  '         [--checkpoint-every N] [--log-every N] [--eval-every N] [--sample-every N] [--text FILE]\n' +
  '       npm run train -- --resume DIR [--steps N] [--lr X] [--text FILE] [--backend NAME] [--checkpoint-every N] [--log-every N]\n' +
  '       npm run train -- --help';

export const HELP = `${USAGE}

Trains a SimpleRNN, LSTM or GRU (tfjs-rnn's layers: manual BPTT) on a built-in task and leaves in
the run directory: config.json, metrics.jsonl, loss_curve.svg, grad_flow.svg, model/ (tfjs-layers
model.json + weights.bin, stock class names), checkpoint/, summary.json, and for chars text.txt
(its own copy of the text: a resume reads nothing outside the directory).

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
  --units N             units of each recurrent layer, 1 to 4096 (default per task)
  --seq-len N           sequence length T (default per task: ${TASK_NAMES.map((t) => `${t} ${TASK_DEFAULTS[t].seqLen}`).join(', ')})
  --embedding-dim N     embedding width for token tasks (default 32)
  --activation NAME     tanh | relu | linear (default: SimpleRNN relu for adding and sine, tanh otherwise)
  --lr X                learning rate, a decimal number in (0, 1e6] (default per task)
  --optimizer NAME      sgd | momentum (0.9) | adam (default), tfjs's tf.train optimizers
  --clip-norm X         clip the global gradient norm to X (default 1; 0 = off)
  --seed N              seeds data, initial weights and sampling (default 1)
  --backend NAME        ${BACKEND_NAMES.join(' | ')} | auto (default auto)
  --out DIR             run directory (default runs/<task>-<timestamp>); must not exist or be empty
  --resume DIR          continue the run in DIR from its newest good checkpoint (same losses, bit
                        for bit, as an uninterrupted run on the same backend). The model and data
                        settings come from the checkpoint: a config.json that disagrees is refused;
                        --lr (or an edited lr, clipNorm) and --steps are recorded in config.json's
                        resumes; --text names a chars run's text again (checked by its sha256)
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
const RESUME_FLAGS = new Set(['resume', 'steps', 'lr', 'text', 'backend', 'checkpoint-every', 'log-every']);

const INTEGER = /^\d+$/;
/** Plain decimal: no sign, hex, binary, octal, Infinity, spaces or empty string (all of which Number() takes). */
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The flag's value as a number in its field's range, parsed strictly; undefined when not given. */
function numberFlag(flag: string, v: string | undefined, field: RangedField): number | undefined {
  if (v === undefined) return undefined;
  const r = RANGES[field];
  const n = Number(v);
  if (!(r.int ? INTEGER : DECIMAL).test(v) || !inRange(r, n)) throw new UsageError(`--${flag}: expected ${r.int ? 'an integer' : 'a decimal number'} in ${interval(r)}, got '${v}'`);
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
  | { kind: 'resume'; dir: string; overrides: { steps?: number; lr?: number; text?: string; backend?: string; checkpointEvery?: number; logEvery?: number } };

function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}

/** Parses and checks argv (without node and the script). Throws UsageError; writes nothing. */
export function parseTrainArgs(argv: readonly string[], now: Date = new Date()): ParsedArgs {
  let values: Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(unknownFlagMessage((e as Error).message, Object.keys(OPTIONS)));
  }
  const v = values as Partial<Record<keyof typeof OPTIONS, string>>;
  if (values.help === true) return { kind: 'help' };
  const backend = oneOf('backend', v.backend, [...BACKEND_NAMES, 'auto']);
  if (v.resume !== undefined) {
    const extra = Object.keys(values).filter((k) => !RESUME_FLAGS.has(k));
    if (extra.length > 0) {
      throw new UsageError(`--resume: expected only --steps, --lr, --text (chars), --backend, --checkpoint-every, --log-every beside it (the rest comes from config.json), got --${extra.join(', --')}`);
    }
    const dir = path.resolve(v.resume);
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`--resume: expected a run directory with config.json, got '${v.resume}'`);
    return {
      kind: 'resume',
      dir,
      overrides: {
        steps: numberFlag('steps', v.steps, 'steps'),
        lr: numberFlag('lr', v.lr, 'lr'),
        text: v.text === undefined ? undefined : path.resolve(v.text),
        backend,
        checkpointEvery: numberFlag('checkpoint-every', v['checkpoint-every'], 'checkpointEvery'),
        logEvery: numberFlag('log-every', v['log-every'], 'logEvery'),
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
  const epochs = numberFlag('epochs', v.epochs, 'epochs') ?? null;
  const steps = numberFlag('steps', v.steps, 'steps') ?? (epochs === null ? d.steps : null);
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
    batchSize: numberFlag('batch-size', v['batch-size'], 'batchSize') ?? d.batchSize,
    units: numberFlag('units', v.units, 'units') ?? d.units,
    seqLen: numberFlag('seq-len', v['seq-len'], 'seqLen') ?? d.seqLen,
    embeddingDim: numberFlag('embedding-dim', v['embedding-dim'], 'embeddingDim') ?? d.embeddingDim ?? 32,
    cell,
    resetAfter,
    layers: numberFlag('layers', v.layers, 'layers') ?? 1,
    bidirectional,
    activation: oneOf('activation', v.activation, ACTIVATIONS) ?? d.activation ?? 'tanh',
    lr: numberFlag('lr', v.lr, 'lr') ?? d.lr,
    optimizer: oneOf('optimizer', v.optimizer, OPTIMIZERS) ?? 'adam',
    clipNorm: numberFlag('clip-norm', v['clip-norm'], 'clipNorm') ?? 1,
    seed: numberFlag('seed', v.seed, 'seed') ?? 1,
    backend: backend ?? 'auto',
    checkpointEvery: numberFlag('checkpoint-every', v['checkpoint-every'], 'checkpointEvery') ?? 100,
    logEvery: numberFlag('log-every', v['log-every'], 'logEvery') ?? 10,
    evalEvery: numberFlag('eval-every', v['eval-every'], 'evalEvery') ?? -1,
    sampleEvery: numberFlag('sample-every', v['sample-every'], 'sampleEvery') ?? 200,
    text,
    out,
  };
  return { kind: 'new', config };
}
