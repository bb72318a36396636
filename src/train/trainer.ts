/**
 * The training loop: batches from a task, the loss's gradient (manual BPTT through our recurrent
 * layers, autodiff for the heads), global-norm clipping, a tf.train optimizer,
 * metrics lines, checkpoints, and at the end the held-out evaluation, plots and the exported model.
 *
 * A step: batch → loss and grads (tf.variableGrads) → stop if the loss is not finite → clip →
 * optimizer.applyGradients → step += 1. The loss logged for step s is the batch loss before update s.
 * A checkpoint after step s holds the weights, the optimizer state, the data stream's position and
 * s, so a run resumed from it computes exactly the steps s + 1, s + 2, … of the run it continues.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import writeFileAtomic from 'write-file-atomic';
import type { BackendInfo } from '../platform';
import { JsonField } from '../io/json_field';
import { RefusedFileError, SafeDir } from '../io/safe_dir';
import { CheckpointContents, loadCheckpoint, LoadedCheckpoint, NamedArray, saveCheckpoint } from './checkpoint';
import { DEFAULT_TEXT, ParsedArgs, ResumeError, TrainConfig, UsageError } from './cli';
import { exportLayersModel, stockReadable } from './export';
import { gradientFlow } from './grad_flow';
import { accuracyOf, ModelSpec, RnnModel } from './model';
import { gradFlowSVG, lossCurveSVG, LossPoint } from './plots';
import type { Progress } from './progress';
import { Rng } from './random';
import { checkCheckpointFits, checkRunEntries, readSavedRun, RUN_FILES, SavedRun } from './resume';
import { makeTask } from './tasks';
import type { QualityBar, Task } from './tasks/task';

/** One line of metrics.jsonl. */
export interface MetricsLine {
  step: number;
  epoch: number;
  loss: number;
  accuracy?: number;
  lr: number;
  gradNorm: number;
  seqPerSec: number;
  evalLoss?: number;
  evalAccuracy?: number;
}

export type TrainStatus = 'completed' | 'interrupted' | 'diverged';

export interface TrainResult {
  status: TrainStatus;
  step: number;
  steps: number;
  /** Step of the newest checkpoint on disk (0 when none). */
  checkpointStep: number;
  bar: QualityBar;
  evalLoss?: number;
  evalAccuracy?: number;
  /** Whether the held-out result passed the bar (completed runs). */
  passed?: boolean;
  /** What happened, for a person. */
  message: string;
  /** Completed runs: who can read model/ (stock tf.loadLayersModel, or only tfjs-rnn's loadLayersModel). */
  modelNote?: string;
}

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

const PACKAGE_VERSION = (() => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

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
    const run = SafeDir.open(dir);
    checkRunEntries(run);
    const saved = readSavedRun(run);
    const root = run.exists(RUN_FILES.checkpoints, 'directory') ? run.subdir(RUN_FILES.checkpoints) : null;
    const checkpoint = root === null ? null : loadCheckpoint(root);
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

function makeOptimizer(config: TrainConfig): tf.Optimizer {
  if (config.optimizer === 'sgd') return tf.train.sgd(config.lr);
  if (config.optimizer === 'momentum') return tf.train.momentum(config.lr, 0.9);
  return tf.train.adam(config.lr);
}

/**
 * tfjs 4.22's MomentumOptimizer.dispose() does not call SGDOptimizer.dispose(), so the learning
 * rate scalar `c` it inherits stays alive: we dispose it too.
 */
function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  if (optimizer instanceof tf.MomentumOptimizer) {
    const c = (optimizer as unknown as { c?: tf.Tensor }).c;
    if (c !== undefined && !c.isDisposed) c.dispose();
  }
}

/**
 * Adam keeps β1^t and β2^t in private variables that setWeights recomputes with pow(); the
 * recomputed values can differ from the running products in the last bit, which would make a
 * resumed run drift. We save and restore them as they are.
 */
const OPTIMIZER_EXTRAS = ['accBeta1', 'accBeta2'];

async function optimizerExtras(optimizer: tf.Optimizer): Promise<Record<string, number>> {
  const o = optimizer as unknown as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const k of OPTIMIZER_EXTRAS) if (o[k] instanceof tf.Variable) out[k] = (await (o[k] as tf.Variable).data())[0];
  return out;
}

function restoreOptimizerExtras(optimizer: tf.Optimizer, extras: Record<string, number>): void {
  const o = optimizer as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(extras)) {
    if (o[k] instanceof tf.Variable) tf.tidy(() => (o[k] as tf.Variable).assign(tf.scalar(v)));
  }
}

/**
 * Samples `length` characters from the chars model, starting from `startId`: a stateful copy of the
 * network (batch of one) reads one character per call and carries its states to the next.
 */
export async function sampleText(model: RnnModel, alphabet: string, startId: number, length: number, rng: Rng, temperature = 0.8): Promise<string> {
  if (model.spec.input.kind !== 'tokens') throw new Error('expected a token model to sample from, got a real-valued one');
  const sampler = model.copy('sampler');
  let id = startId;
  let out = alphabet[id];
  try {
    for (let i = 0; i < length; i++) {
      const probs = tf.tidy(() => {
        const z = sampler.apply(tf.tensor2d([[id]], [1, 1], 'int32')) as tf.Tensor; // [1, 1, V]
        return tf.softmax(tf.div(tf.reshape(z, [1, -1]), temperature)); // [1, V]
      });
      const p = await probs.data();
      probs.dispose();
      let u = rng.next();
      id = p.length - 1;
      for (let j = 0; j < p.length; j++) {
        u -= p[j];
        if (u < 0) {
          id = j;
          break;
        }
      }
      out += alphabet[id];
    }
  } finally {
    sampler.dispose();
  }
  return out;
}

/** A line of metrics.jsonl as it is on disk, and what it says (null: cut short by a crash). */
interface MetricsRecord {
  raw: string;
  line: MetricsLine | null;
}

function readMetrics(run: SafeDir): MetricsRecord[] {
  if (!run.exists(RUN_FILES.metrics, 'file')) return [];
  return run
    .readText(RUN_FILES.metrics)
    .split('\n')
    .filter((raw) => raw.trim() !== '')
    .map((raw) => {
      try {
        return { raw, line: JSON.parse(raw) as MetricsLine };
      } catch {
        return { raw, line: null };
      }
    });
}

function writeAtomic(file: string, data: string | Buffer): void {
  writeFileAtomic.sync(file, data, { fsync: true });
}

function passes(bar: QualityBar, loss: number, accuracy: number | undefined): boolean {
  const v = bar.metric === 'loss' ? loss : (accuracy ?? NaN);
  return bar.direction === 'below' ? v < bar.value : v > bar.value;
}

/** How far a loss is from the baseline, in words that hold on either side of it. */
function againstBaseline(loss: number, baseline: number): string {
  const base = `the baseline ${baseline.toFixed(4)}`;
  if (!Number.isFinite(loss) || !(baseline > 0)) return '';
  if (loss === baseline) return ` (equal to ${base})`;
  const side = loss < baseline ? 'below' : 'above';
  if (loss <= 0) return ` (${side} ${base})`;
  const ratio = loss < baseline ? baseline / loss : loss / baseline;
  // Close to the baseline a ratio reads as "1.0×"; a percentage says which side.
  const amount = ratio >= 1.1 ? `${ratio.toFixed(1)}×` : `${((Math.abs(loss - baseline) / baseline) * 100).toFixed(1)}%`;
  return ` (${amount} ${side} ${base})`;
}

/** The model in a few words: `2 × bidirectional LSTM`, `GRU (reset after)`. */
export function describeModel(config: TrainConfig): string {
  const cell = { simple: 'SimpleRNN', lstm: 'LSTM', gru: config.resetAfter ? 'GRU (reset after)' : 'GRU' }[config.cell];
  return `${config.layers > 1 ? `${config.layers} × ` : ''}${config.bidirectional ? 'bidirectional ' : ''}${cell}`;
}

/** The exported layers by stock class: `Embedding → 2 × Bidirectional(LSTM) → Dense(softmax)`. */
function stockClasses(spec: ModelSpec): string {
  const cell = { simple: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' }[spec.cell];
  const rnn = `${spec.layers > 1 ? `${spec.layers} × ` : ''}${spec.bidirectional ? `Bidirectional(${cell})` : cell}`;
  const activation = { mse: 'linear', binary: 'sigmoid', categorical: 'softmax' }[spec.objective];
  return `${spec.input.kind === 'tokens' ? 'Embedding → ' : ''}${rnn} → Dense(${activation})`;
}

/** Who reads the exported model/. */
function modelNote(model: RnnModel): string {
  if (stockReadable(model)) return `stock tf.loadLayersModel reads it (${stockClasses(model.spec)})`;
  return (
    "a Keras-format GRU with reset_after: true, which stock tf.loadLayersModel refuses (\"GRUCell does not support reset_after " +
    "parameter set to true\"); tfjs-rnn's loadLayersModel reads it (import { loadLayersModel } from 'tfjs-rnn')"
  );
}

/** The closing line of a completed run: the held-out result, against the baseline and the bar. */
export function resultMessage(bar: QualityBar, evalLoss: number, evalAccuracy: number | undefined, passed: boolean): string {
  const vsLoss = bar.metric === 'loss' ? againstBaseline(evalLoss, bar.baseline) : '';
  const acc = evalAccuracy === undefined ? '' : `, accuracy ${evalAccuracy.toFixed(3)}${bar.metric === 'accuracy' ? ` (baseline ${bar.baseline.toFixed(3)})` : ''}`;
  return `held-out loss ${evalLoss.toFixed(4)}${vsLoss}${acc}: bar ${passed ? 'PASSED' : 'NOT reached'} (${bar.text})`;
}

export class Trainer {
  private stopSignal: NodeJS.Signals | null = null;
  private step = 0;
  private lastSavedStep = 0;
  /** The held-out result at the last step, once the loop has logged it. */
  private finalEval: { loss: number; accuracy?: number } | null = null;

  constructor(
    private readonly setup: RunSetup,
    private readonly backendInfo: BackendInfo,
    private readonly progress: Progress,
  ) {}

  /** Ask the loop to stop after the current step, save a checkpoint and return 'interrupted'. */
  requestStop(signal: NodeJS.Signals): void {
    this.stopSignal = signal;
  }

  get resumeCommand(): string {
    return `npm run train -- --resume ${path.relative(process.cwd(), this.setup.dir) || '.'}`;
  }

  async run(): Promise<TrainResult> {
    const { config, task, steps, dir } = this.setup;
    const ckptRoot = path.join(dir, RUN_FILES.checkpoints);
    const metricsFile = path.join(dir, RUN_FILES.metrics);

    const model = new RnnModel({
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
    });
    const optimizer = makeOptimizer(config);
    const evalSet = task.evalBatch();
    const flowBatch = tf.tidy(() => {
      const n = Math.min(32, evalSet.x.shape[0]);
      return { x: tf.slice(evalSet.x, 0, n), y: tf.slice(evalSet.y, 0, n) };
    });
    try {
      // Everything that can refuse the run comes before its first write.
      const resumed = this.setup.resuming ? SafeDir.open(dir) : null;
      const savedInitFlow = resumed === null ? null : this.readInitFlow(resumed);
      // The model is at its seeded initialisation here, also when resuming.
      const initFlow = savedInitFlow ?? (await gradientFlow(model, flowBatch.x, flowBatch.y));
      const ck = this.setup.resume === null ? null : await this.fittingCheckpoint(this.setup.resume, model, optimizer);
      if (ck !== null) await this.restore(ck, model, optimizer);
      const bar = await task.qualityBar();

      // The run goes ahead: from here on its files change.
      fs.mkdirSync(dir, { recursive: true });
      const run = SafeDir.open(dir);
      this.writeConfig(model);
      if (ck !== null) {
        this.progress.log(`resumed from ${path.relative(process.cwd(), ck.dir)} (step ${ck.step})`);
        for (const s of ck.skipped) this.progress.log(`skipped a checkpoint: ${s}`);
      }
      this.keepMetricsUpToStep(run);
      if (savedInitFlow === null) writeAtomic(path.join(dir, RUN_FILES.initFlow), JSON.stringify(initFlow));

      this.progress.log(`task ${task.name}: ${describeModel(config)}, ${model.countParams()} parameters, ${steps} steps of ${config.batchSize}; bar: ${bar.text}`);
      const result = await this.loop(model, optimizer, bar, evalSet, metricsFile, ckptRoot);
      if (result.status !== 'completed') return result;

      // The end: held-out result, pictures, exported model, summary.
      const ev = this.finalEval ?? (await model.evaluate(evalSet.x, evalSet.y));
      const passed = passes(bar, ev.loss, ev.accuracy);
      const points: LossPoint[] = readMetrics(run).flatMap((r) => (r.line === null ? [] : [{ step: r.line.step, loss: r.line.loss, evalLoss: r.line.evalLoss }]));
      writeAtomic(
        path.join(dir, RUN_FILES.lossCurve),
        await lossCurveSVG(points, `${task.name}: loss (${describeModel(config)}, ${config.optimizer}, lr ${config.lr}, ${this.backendInfo.backend})`, bar.metric === 'loss' ? { value: bar.value, label: `bar (${bar.value.toPrecision(3)})` } : undefined),
      );
      const finalNorms = await gradientFlow(model, flowBatch.x, flowBatch.y);
      writeAtomic(path.join(dir, RUN_FILES.flow), JSON.stringify({ init: initFlow, final: finalNorms }));
      writeAtomic(
        path.join(dir, RUN_FILES.flowPlot),
        await gradFlowSVG(
          [
            { label: 'at initialisation', norms: initFlow },
            { label: `after ${this.step} steps`, norms: finalNorms },
          ],
          `${task.name}: ‖∂L/∂h_t‖ of the first ${describeModel(config)} layer over time (T = ${config.seqLen}, batch of ${flowBatch.x.shape[0]})`,
        ),
      );
      await exportLayersModel(model, path.join(dir, RUN_FILES.model));
      const summary = {
        task: task.name,
        model: { cell: config.cell, layers: config.layers, bidirectional: config.bidirectional, resetAfter: config.resetAfter, parameters: model.countParams() },
        steps: this.step,
        evalLoss: ev.loss,
        evalAccuracy: ev.accuracy,
        bar,
        passed,
        backend: this.backendInfo.backend,
      };
      writeAtomic(path.join(dir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
      return { ...result, evalLoss: ev.loss, evalAccuracy: ev.accuracy, passed, message: resultMessage(bar, ev.loss, ev.accuracy, passed), modelNote: modelNote(model) };
    } finally {
      tf.dispose([evalSet.x, evalSet.y, flowBatch.x, flowBatch.y]);
      disposeOptimizer(optimizer);
      model.dispose();
    }
  }

  /**
   * The gradient flow at initialisation saved when the run started (JSON.stringify wrote NaN and
   * Infinity as null); null when it is missing or not T numbers, and so is computed again.
   */
  private readInitFlow(run: SafeDir): number[] | null {
    if (!run.exists(RUN_FILES.initFlow, 'file')) return null;
    try {
      const norms = new JsonField(run.display(RUN_FILES.initFlow), run.readJSON(RUN_FILES.initFlow)).items().map((f) => (f.value === null ? NaN : f.number()));
      return norms.length === this.setup.config.seqLen ? norms : null;
    } catch (e) {
      if (e instanceof RefusedFileError) return null;
      throw e;
    }
  }

  /**
   * metrics.jsonl keeps the lines up to the step the run continues from; later ones (steps the
   * resumed run takes again, lines cut short by a crash) move to metrics.superseded.jsonl, so no
   * line is ever lost. Untouched when there is nothing to move.
   */
  private keepMetricsUpToStep(run: SafeDir): void {
    const records = readMetrics(run);
    const kept = records.filter((r) => r.line !== null && r.line.step <= this.step);
    const file = path.join(run.path, RUN_FILES.metrics);
    if (!fs.existsSync(file)) writeAtomic(file, '');
    if (kept.length === records.length) return;
    const moved = records.filter((r) => !kept.includes(r));
    fs.appendFileSync(path.join(run.path, RUN_FILES.supersededMetrics), moved.map((r) => `${r.raw}\n`).join(''));
    writeAtomic(file, kept.map((r) => `${r.raw}\n`).join(''));
    this.progress.log(`metrics.jsonl: ${moved.length} line(s) after step ${this.step} moved to ${RUN_FILES.supersededMetrics} (those steps run again)`);
  }

  /**
   * The checkpoint to continue from: the one prepareRun read when it fits the model and the
   * optimizer, else the newest one that does. A ResumeError when none does (nothing written yet).
   */
  private async fittingCheckpoint(first: LoadedCheckpoint, model: RnnModel, optimizer: tf.Optimizer): Promise<LoadedCheckpoint> {
    const names = model.weightNames;
    const target = {
      variables: model.variables.map((v, i) => ({ name: names[i], shape: v.shape })),
      optimizer: this.setup.config.optimizer,
      optimizerExtras: Object.keys(await optimizerExtras(optimizer)),
      task: this.setup.task,
    };
    const fits = (ck: CheckpointContents, dir: string): void => checkCheckpointFits(ck, dir, target);
    try {
      fits(first, first.dir);
      return first;
    } catch {
      // Read them again, newest first, with the check: the reasons are collected there.
    }
    const dir = this.setup.dir;
    try {
      const ck = loadCheckpoint(SafeDir.open(dir).subdir(RUN_FILES.checkpoints), fits);
      if (ck === null) throw new RefusedFileError(path.join(dir, RUN_FILES.checkpoints), 'expected a checkpoint, found none');
      return ck;
    } catch (e) {
      if (e instanceof RefusedFileError) throw new ResumeError(`--resume: ${e.message}\nNothing in ${dir} was changed.`);
      throw e;
    }
  }

  private async loop(
    model: RnnModel,
    optimizer: tf.Optimizer,
    bar: QualityBar,
    evalSet: { x: tf.Tensor; y: tf.Tensor },
    metricsFile: string,
    ckptRoot: string,
  ): Promise<TrainResult> {
    const { config, task, steps, evalEvery } = this.setup;
    const B = config.batchSize;
    const vars = model.variables;
    const base = { steps, bar };
    this.progress.start(steps, this.step);
    let windowStart = Date.now();
    let windowSteps = 0;
    try {
      while (this.step < steps && this.stopSignal === null) {
        const next = this.step + 1;
        const logNow = next % config.logEvery === 0 || next === steps;
        const batch = task.nextBatch(B);
        const kept: { logits: tf.Tensor | null } = { logits: null };
        const { value, grads } = tf.variableGrads(() => {
          const z = model.logits(batch.x);
          if (logNow) kept.logits = tf.keep(z);
          return model.lossOf(z, batch.y);
        }, vars);
        const loss = (await value.data())[0]; // async: webgpu has no synchronous read
        if (!Number.isFinite(loss)) {
          tf.dispose([value, batch.x, batch.y]);
          tf.dispose(grads);
          if (kept.logits !== null) kept.logits.dispose();
          return {
            ...base,
            status: 'diverged',
            step: this.step,
            checkpointStep: this.lastSavedStep,
            message:
              `loss is ${loss} at step ${next} (lr ${config.lr}, clip-norm ${config.clipNorm}); stopped without saving. ` +
              `The last good checkpoint is step ${this.lastSavedStep} in ${path.relative(process.cwd(), ckptRoot)}. ` +
              `Try a lower --lr or a --clip-norm, in a new run.`,
          };
        }
        const gradNormT = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
        const gradNorm = (await gradNormT.data())[0];
        gradNormT.dispose();
        const scale = config.clipNorm > 0 && gradNorm > config.clipNorm ? config.clipNorm / gradNorm : 1;
        const clipped = scale === 1 ? grads : tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)])));
        optimizer.applyGradients(clipped);
        if (clipped !== grads) tf.dispose(clipped);
        tf.dispose(grads);
        value.dispose();
        this.step = next;
        windowSteps++;

        if (logNow) {
          const z = kept.logits as tf.Tensor;
          const accT = accuracyOf(model.spec.objective, z, batch.y);
          const now = Date.now();
          const line: MetricsLine = {
            step: this.step,
            epoch: (this.step * B) / task.epochSize,
            loss,
            lr: config.lr,
            gradNorm,
            seqPerSec: (windowSteps * B) / Math.max(1e-3, (now - windowStart) / 1000),
          };
          if (accT !== null) {
            line.accuracy = (await accT.data())[0];
            accT.dispose();
          }
          if ((evalEvery > 0 && this.step % evalEvery === 0) || this.step === steps) {
            const ev = await model.evaluate(evalSet.x, evalSet.y);
            if (this.step === steps) this.finalEval = ev;
            line.evalLoss = ev.loss;
            if (ev.accuracy !== undefined) line.evalAccuracy = ev.accuracy;
          }
          fs.appendFileSync(metricsFile, `${JSON.stringify(line)}\n`);
          this.progress.update(this.step, { loss, accuracy: line.accuracy, seqPerSec: line.seqPerSec });
          windowStart = Date.now();
          windowSteps = 0;
        }
        tf.dispose([batch.x, batch.y]);
        if (kept.logits !== null) kept.logits.dispose();

        if (task.alphabet !== undefined && config.sampleEvery > 0 && this.step % config.sampleEvery === 0) {
          const rng = new Rng(`sample/${config.seed}/${this.step}`);
          const text = await sampleText(model, task.alphabet, rng.int(task.alphabet.length), 160, rng);
          this.progress.log(`--- sample at step ${this.step} ---\n${text}\n---`);
        }
        if (this.step % config.checkpointEvery === 0 || this.step === steps) await this.save(model, optimizer, ckptRoot);
        await new Promise((resolve) => setImmediate(resolve)); // let SIGINT/SIGTERM handlers run
      }
    } finally {
      this.progress.stop();
    }
    if (this.stopSignal !== null) {
      await this.save(model, optimizer, ckptRoot);
      return {
        ...base,
        status: 'interrupted',
        step: this.step,
        checkpointStep: this.lastSavedStep,
        message: `${this.stopSignal}: saved a checkpoint at step ${this.step}. Resume with:\n  ${this.resumeCommand}`,
      };
    }
    return { ...base, status: 'completed', step: this.step, checkpointStep: this.lastSavedStep, message: '' };
  }

  private async save(model: RnnModel, optimizer: tf.Optimizer, root: string): Promise<void> {
    if (this.step === this.lastSavedStep && fs.existsSync(root)) return;
    const names = model.weightNames;
    const vars = model.variables;
    // Optimizer slots are named after the variables (`lstm/kernel_1/m`): stored under the stable names.
    const stable = new Map(vars.map((v, i) => [v.name, names[i]]));
    const stableName = (slot: string): string => {
      const cut = slot.lastIndexOf('/');
      return cut < 0 ? slot : `${stable.get(slot.slice(0, cut)) ?? slot.slice(0, cut)}${slot.slice(cut)}`;
    };
    const modelArrays: NamedArray[] = [];
    for (const [i, v] of vars.entries()) {
      modelArrays.push({ name: names[i], shape: v.shape, dtype: 'float32', data: Float32Array.from((await v.data()) as Float32Array) });
    }
    // getWeights() returns a fresh iteration-count scalar first, then the optimizer's own
    // variables (not copies): only the first is ours to dispose.
    const named = await optimizer.getWeights();
    const optimizerArrays: NamedArray[] = [];
    for (const w of named) {
      const values = await w.tensor.data();
      optimizerArrays.push({
        name: stableName(w.name),
        shape: w.tensor.shape,
        dtype: w.tensor.dtype === 'int32' ? 'int32' : 'float32',
        data: w.tensor.dtype === 'int32' ? Int32Array.from(values as Int32Array) : Float32Array.from(values as Float32Array),
      });
    }
    if (named.length > 0) named[0].tensor.dispose();
    saveCheckpoint(root, {
      step: this.step,
      meta: {
        data: this.setup.task.state(),
        optimizer: { name: this.setup.config.optimizer, extras: await optimizerExtras(optimizer) },
        task: this.setup.config.task,
      },
      groups: { model: modelArrays, optimizer: optimizerArrays },
    });
    this.lastSavedStep = this.step;
  }

  /** Puts ck (checked by fittingCheckpoint) into the model, the optimizer and the data stream. */
  private async restore(ck: LoadedCheckpoint, model: RnnModel, optimizer: tf.Optimizer): Promise<void> {
    const vars = model.variables;
    ck.groups.model.forEach((a, i) => tf.tidy(() => vars[i].assign(tf.tensor(a.data, a.shape))));
    const tensors = ck.groups.optimizer.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape, a.dtype) }));
    await optimizer.setWeights(tensors);
    tf.dispose(tensors.map((t) => t.tensor));
    const opt = ck.meta.optimizer as { extras: Record<string, number> };
    restoreOptimizerExtras(optimizer, opt.extras);
    this.setup.task.restore(ck.meta.data as Record<string, unknown>);
    this.step = ck.step;
    this.lastSavedStep = ck.step;
  }

  private writeConfig(model: RnnModel): void {
    const file = path.join(this.setup.dir, RUN_FILES.config);
    const info = this.backendInfo;
    const backend = { backend: info.backend, package: info.package, version: info.version, summary: info.summary };
    const saved = this.setup.saved;
    let doc: Record<string, unknown>;
    if (saved !== null) {
      doc = saved.doc;
      const resumes = (doc.resumes as unknown[] | undefined) ?? [];
      resumes.push({ at: new Date().toISOString(), fromStep: this.step, steps: this.setup.steps, backend });
      doc.resumes = resumes;
      doc.config = this.setup.config;
    } else {
      const task = this.setup.task;
      doc = {
        config: this.setup.config,
        steps: this.setup.steps,
        parameters: model.countParams(),
        task: { name: task.name, epochSize: task.epochSize, vocabulary: task.alphabet, textSha256: this.setup.textSha256 ?? undefined },
        backend,
        versions: { 'tfjs-rnn': PACKAGE_VERSION, '@tensorflow/tfjs': tf.version.tfjs, node: process.version },
        startedAt: new Date().toISOString(),
      };
    }
    writeAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
  }
}
