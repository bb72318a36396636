/**
 * The config schema of a run: the fields config.json stores (so --resume rebuilds the same run),
 * the defaults per task and cell, and the checked reading of a saved config.json. The flag parser
 * (cli.ts) fills the same TrainConfig from the command line.
 */
import * as path from 'path';
import { BACKEND_NAMES } from '..';
import type { JsonField } from '../io/json_field';
import type { Activation } from './model';
import { cellById } from '../cells/registry';
import { CELL_NAMES, CellName } from './model';
import { describeRange, inRange, Range, RangedField, RANGES } from './ranges';
import { TASK_NAMES, TaskName } from './tasks/task';

export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu', 'linear'];

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
/** Where a gated cell differs from GATED_DEFAULTS (measured): LSTM needs more steps on the adding problem. */
const CELL_DEFAULTS: Partial<Record<CellName, Partial<GatedDefaults>>> = {
  lstm: { adding: { units: 32, lr: 0.01, steps: 1500 } },
};

/** A task's defaults for a cell. */
export function defaultsFor(task: TaskName, cell: CellName): TaskDefaults {
  if (!cellById(cell).gated) return TASK_DEFAULTS[task];
  const c: GatedDefaults = { ...GATED_DEFAULTS, ...CELL_DEFAULTS[cell] };
  return { ...TASK_DEFAULTS[task], ...c.all, ...c[task] };
}

export const DEFAULT_TASK: TaskName = 'adding';

/** Why a model's flags do not go together, or null. */
export function modelFlagsProblem(task: TaskName, cell: CellName, resetAfter: boolean, bidirectional: boolean): string | null {
  if (resetAfter && cell !== 'gru') return `--reset-after: expected only with --cell gru, got --cell ${cell}`;
  if (bidirectional && task === 'chars') {
    return '--bidirectional: expected a task that reads the whole sequence before answering (adding, sine, sentiment), got --task chars, which predicts each next character from the ones before it';
  }
  return null;
}

export const DEFAULT_TEXT = path.join(__dirname, '..', '..', 'data', 'default.txt');

/**
 * The config a run saved in its config.json, checked field by field (the file travels with the
 * run and may have been edited or damaged): a RefusedFileError names the file and the field.
 */
export function configFromJson(doc: JsonField): TrainConfig {
  const c = doc.get('config');
  const int = (key: RangedField): number => ranged(c.get(key), RANGES[key]);
  const config: TrainConfig = {
    task: c.get('task').oneOf(TASK_NAMES),
    steps: c.get('steps').orNull((f) => ranged(f, RANGES.steps)),
    epochs: c.get('epochs').orNull((f) => ranged(f, RANGES.epochs)),
    batchSize: int('batchSize'),
    units: int('units'),
    seqLen: int('seqLen'),
    embeddingDim: int('embeddingDim'),
    // Runs from before these fields trained one SimpleRNN layer.
    cell: c.has('cell') ? c.get('cell').oneOf(CELL_NAMES) : 'simple',
    resetAfter: c.has('resetAfter') ? bool(c.get('resetAfter')) : false,
    layers: c.has('layers') ? int('layers') : 1,
    bidirectional: c.has('bidirectional') ? bool(c.get('bidirectional')) : false,
    activation: c.get('activation').oneOf(ACTIVATIONS),
    lr: ranged(c.get('lr'), RANGES.lr),
    optimizer: c.get('optimizer').oneOf(OPTIMIZERS),
    clipNorm: ranged(c.get('clipNorm'), RANGES.clipNorm),
    seed: int('seed'),
    backend: c.get('backend').oneOf([...BACKEND_NAMES, 'auto']),
    checkpointEvery: int('checkpointEvery'),
    logEvery: int('logEvery'),
    evalEvery: c.get('evalEvery').value === -1 ? -1 : int('evalEvery'),
    sampleEvery: int('sampleEvery'),
    text: c.get('text').orNull((f) => f.string()),
    out: c.get('out').string(),
  };
  if (config.steps === null && config.epochs === null) c.get('steps').fail('a step count when config.epochs is null');
  const problem = modelFlagsProblem(config.task, config.cell, config.resetAfter, config.bidirectional);
  if (problem !== null) c.fail(`a config whose flags go together (${problem})`);
  return config;
}

/** f's number when it lies in r; else a RefusedFileError naming the field and the range. */
function ranged(f: JsonField, r: Range): number {
  if (typeof f.value !== 'number' || !inRange(r, f.value)) f.fail(describeRange(r));
  return f.value;
}

function bool(f: JsonField): boolean {
  if (typeof f.value !== 'boolean') f.fail('true or false');
  return f.value;
}
