/**
 * What a checkpoint records of the run that wrote it, so that a resume continues the same model
 * on the same data stream: every setting that defines the model or the stream (DEFINING), and
 * those a resume may legitimately change (lr, clipNorm: recorded as overrides in config.json's
 * `resumes`). A config.json that disagrees on a defining setting is refused, naming it.
 */
import { JsonField } from '../io/json_field';
import type { TrainConfig } from './config';

/** Settings that define the model's weights or the data stream: changing one continues another run. */
export const DEFINING = [
  'task',
  'cell',
  'activation',
  'units',
  'layers',
  'bidirectional',
  'resetAfter',
  'embeddingDim',
  'seqLen',
  'batchSize',
  'seed',
  'optimizer',
] as const;

/** Settings a resume may change (`--lr`, or an edit of config.json): each change is recorded. */
export const OVERRIDABLE = ['lr', 'clipNorm'] as const;

type Recorded = Pick<TrainConfig, (typeof DEFINING)[number] | (typeof OVERRIDABLE)[number]>;

/** The run as a checkpoint records it (meta.run), with the chars text's sha256 (null for other tasks). */
export interface RunIdentity extends Recorded {
  textSha256: string | null;
}

export function runIdentity(config: TrainConfig, textSha256: string | null): RunIdentity {
  const out = { textSha256 } as RunIdentity;
  for (const k of [...DEFINING, ...OVERRIDABLE]) (out as unknown as Record<string, unknown>)[k] = config[k];
  return out;
}

/** A change a resume makes to an overridable setting: what the checkpoint was trained with, and now. */
export type Overrides = Partial<Record<(typeof OVERRIDABLE)[number] | 'steps', { from: number | null; to: number | null }>>;

/**
 * Checks config (from config.json and the resume's flags) against a checkpoint's meta.run; throws
 * a RefusedFileError naming the first defining setting that differs (file: config.json). Returns
 * the overridable ones that differ. A checkpoint written before meta.run was kept has nothing to
 * compare (its arrays are still checked against the model).
 */
export function compareWithCheckpoint(config: TrainConfig, meta: Record<string, unknown>, step: number, configFile: string): Overrides {
  if (!Object.prototype.hasOwnProperty.call(meta, 'run')) return {};
  const run = new JsonField(`checkpoint at step ${step}`, meta.run, 'meta.run');
  run.object();
  for (const k of DEFINING) {
    const recorded = run.get(k).value;
    if (recorded !== config[k]) {
      new JsonField(configFile, config[k], `config.${k}`).fail(
        `${JSON.stringify(recorded)}, what the checkpoint at step ${step} was trained with (a different ${k} would continue another model or data stream; put it back, or start a new run with --out)`,
      );
    }
  }
  const overrides: Overrides = {};
  for (const k of OVERRIDABLE) {
    const from = run.get(k).number();
    if (from !== config[k]) overrides[k] = { from, to: config[k] };
  }
  return overrides;
}

/** The sha256 of the text a checkpoint was trained on, when it recorded one. */
export function recordedTextSha256(meta: Record<string, unknown>): string | null {
  const run = meta.run as { textSha256?: unknown } | undefined;
  return typeof run?.textSha256 === 'string' ? run.textSha256 : null;
}
