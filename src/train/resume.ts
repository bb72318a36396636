/**
 * What `--resume DIR` checks before it changes anything in DIR:
 *
 * - the files the trainer writes there are plain files and directories, never links (a link would
 *   make a write land outside the run);
 * - config.json is JSON whose every field is valid (RefusedFileError naming the file and field);
 * - the checkpoint fits: groups `model` and `optimizer`, the model's arrays in order with their
 *   names, shapes and float32 dtype, the optimizer's slots (tfjs 4's getWeights order), an
 *   iteration count equal to the step, finite values, and metadata (task, optimizer, data
 *   position) the task can restore exactly.
 *
 * A checkpoint that does not fit is skipped like a damaged one; the trainer then takes the
 * newest one that does, or refuses (ResumeError, exit 2) with every reason.
 */
import { JsonField } from '../io/json_field';
import { SafeDir } from '..';
import type { CheckpointContents, NamedArray } from './checkpoint';
import { configFromJson, OptimizerName, TrainConfig } from './config';
import { RUN_FILES } from './run_folder';
import type { Task } from './tasks/task';

/** config.json holds run metadata, not data: a few KiB. */
const CONFIG_MAX_BYTES = 16 * 2 ** 20;

/** Optimizer slots per variable, in the order tfjs 4's getWeights() lists them after 'iter'. */
const OPTIMIZER_SLOTS: Record<OptimizerName, readonly string[]> = { sgd: [], momentum: ['momentum'], adam: ['m', 'v'] };

export interface SavedRun {
  /** config.json as read, to which the resume appends its entry. */
  doc: Record<string, unknown>;
  config: TrainConfig;
  /** sha256 of the --text file the run started with (chars), when recorded. */
  textSha256: string | null;
}

/** config.json of the run, checked (see configFromJson). */
export function readSavedRun(run: SafeDir): SavedRun {
  const doc = new JsonField(run.display(RUN_FILES.config), run.readJSON(RUN_FILES.config, { maxBytes: CONFIG_MAX_BYTES }));
  const config = configFromJson(doc);
  if (doc.has('resumes')) doc.get('resumes').items();
  const task = doc.has('task') ? doc.get('task') : null;
  const textSha256 = task !== null && task.has('textSha256') ? task.get('textSha256').string(/^[0-9a-f]{64}$/) : null;
  return { doc: doc.object(), config, textSha256 };
}

export interface ModelVariable {
  /** The name the checkpoint stores it under (the same in every process: `lstm/kernel`). */
  name: string;
  shape: number[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkArrays(where: string, got: NamedArray[], want: Array<{ name: string; shape: number[]; dtype: string }>): void {
  const names = (l: Array<{ name: string }>): string => l.map((a) => a.name).join(', ');
  if (got.length !== want.length) throw new Error(`${where}: expected ${want.length} arrays (${names(want)}), got ${got.length} (${names(got)})`);
  want.forEach((w, i) => {
    const g = got[i];
    if (g.name !== w.name || g.dtype !== w.dtype || !sameShape(g.shape, w.shape)) {
      throw new Error(`${where}: expected array ${i} to be ${w.name} [${w.shape}] ${w.dtype}, got ${g.name} [${g.shape}] ${g.dtype}`);
    }
    if (g.dtype === 'float32' && !g.data.every(Number.isFinite)) throw new Error(`${where}: expected finite values in ${g.name}, got NaN or Infinity`);
  });
}

export interface ResumeTarget {
  variables: ModelVariable[];
  optimizer: OptimizerName;
  /** Names of the optimizer's extra scalars, each required in meta.optimizer.extras. */
  optimizerExtras: readonly string[];
  task: Task;
}

/**
 * Throws an Error saying why ck cannot continue this run. Restores ck's data position into
 * target.task as part of the check (the trainer restores it again from the checkpoint it takes).
 */
export function checkCheckpointFits(ck: CheckpointContents, dir: string, target: ResumeTarget): void {
  const groups = Object.keys(ck.groups).sort().join(', ');
  if (groups !== 'model, optimizer') throw new Error(`${dir}: expected the groups model, optimizer, got ${groups || 'none'}`);
  const model = target.variables.map((v) => ({ name: v.name, shape: v.shape, dtype: 'float32' }));
  checkArrays(`${dir}: group model`, ck.groups.model, model);
  const iter = { name: 'iter', shape: [], dtype: 'int32' };
  const slots = OPTIMIZER_SLOTS[target.optimizer].flatMap((slot) => model.map((m) => ({ ...m, name: `${m.name}/${slot}` })));
  // An optimizer that has not taken a step yet holds only its iteration count.
  const optimizer = ck.step === 0 && ck.groups.optimizer.length === 1 ? [iter] : [iter, ...slots];
  checkArrays(`${dir}: group optimizer`, ck.groups.optimizer, optimizer);
  if (ck.groups.optimizer[0].data[0] !== ck.step) {
    throw new Error(`${dir}: expected the optimizer's iteration count to equal the step ${ck.step}, got ${ck.groups.optimizer[0].data[0]}`);
  }

  const meta = new JsonField(`${dir}/manifest.json`, ck.meta, 'meta');
  meta.get('task').oneOf([target.task.name]);
  const opt = meta.get('optimizer');
  opt.get('name').oneOf([target.optimizer]);
  const extras = opt.get('extras');
  for (const [key, value] of extras.entries()) if (!target.optimizerExtras.includes(key)) value.fail(`absent (${target.optimizer} keeps ${target.optimizerExtras.join(', ') || 'no extras'})`);
  for (const key of target.optimizerExtras) extras.get(key).number();
  const data = meta.get('data');
  data.object();
  try {
    target.task.restore(data.object());
  } catch (e) {
    data.fail(`a data position the ${target.task.name} task can restore (${(e as Error).message})`);
  }
  if (JSON.stringify(target.task.state()) !== JSON.stringify(data.value)) data.fail(`a data position the ${target.task.name} task restores exactly`);
}
