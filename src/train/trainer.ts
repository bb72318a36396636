/**
 * The training loop: batches from a task, the loss's gradient (manual BPTT through the cell's
 * customGrad entry point, autodiff for the heads), global-norm clipping, a tf.train optimizer,
 * metrics lines, checkpoints, and at the end the held-out evaluation, plots and the exported model.
 *
 * A step: batch → loss and grads (tf.variableGrads) → stop if the loss is not finite → clip →
 * optimizer.applyGradients → step += 1. The loss logged for step s is the batch loss before update s.
 * A checkpoint after step s holds the weights, the optimizer state, the data stream's position and
 * s, so a run resumed from it computes exactly the steps s + 1, s + 2, … of the run it continues.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import writeFileAtomic from 'write-file-atomic';
import type { BackendInfo } from '../backend';
import { loadCheckpoint, LoadedCheckpoint, NamedArray, saveCheckpoint } from './checkpoint';
import { DEFAULT_TEXT, ParsedArgs, TrainConfig, UsageError } from './cli';
import { exportLayersModel } from './export';
import { gradientFlow } from './grad_flow';
import { accuracyOf, embeddingLookup, RnnModel } from './model';
import { gradFlowSVG, lossCurveSVG, LossPoint } from './plots';
import type { Progress } from './progress';
import { Rng } from './random';
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
}

/** A run ready to start: flags checked, task built, checkpoint read; nothing written yet. */
export interface RunSetup {
  config: TrainConfig;
  dir: string;
  task: Task;
  steps: number;
  evalEvery: number;
  resume: LoadedCheckpoint | null;
  resuming: boolean;
}

const PACKAGE_VERSION = (() => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

function readText(config: TrainConfig): string | undefined {
  if (config.task !== 'chars') return undefined;
  const file = config.text ?? DEFAULT_TEXT;
  if (!fs.existsSync(file)) throw new UsageError(`--text: expected a readable file, got '${file}' (not found)`);
  return fs.readFileSync(file, 'utf8');
}

/** Turns parsed flags into a run; throws UsageError for anything wrong, before writing anything. */
export function prepareRun(parsed: Exclude<ParsedArgs, { kind: 'help' }>): RunSetup {
  let config: TrainConfig;
  let resume: LoadedCheckpoint | null = null;
  if (parsed.kind === 'resume') {
    const saved = JSON.parse(fs.readFileSync(path.join(parsed.dir, 'config.json'), 'utf8')) as { config: TrainConfig };
    config = { ...saved.config, out: parsed.dir };
    const o = parsed.overrides;
    if (o.steps !== undefined) {
      config.steps = o.steps;
      config.epochs = null;
    }
    if (o.backend !== undefined) config.backend = o.backend;
    if (o.checkpointEvery !== undefined) config.checkpointEvery = o.checkpointEvery;
    if (o.logEvery !== undefined) config.logEvery = o.logEvery;
    try {
      resume = loadCheckpoint(path.join(parsed.dir, 'checkpoint'));
    } catch (e) {
      throw new UsageError(`--resume: ${(e as Error).message}`);
    }
  } else {
    config = parsed.config;
  }
  let task: Task;
  try {
    task = makeTask(config.task, { seqLen: config.seqLen, seed: config.seed, text: readText(config) });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  const steps = config.steps ?? Math.ceil(((config.epochs ?? 1) * task.epochSize) / config.batchSize);
  if (resume !== null && resume.step > steps) {
    throw new UsageError(`--steps: expected at least the checkpoint's step ${resume.step}, got ${steps}`);
  }
  const evalEvery = config.evalEvery >= 0 ? config.evalEvery : Math.max(config.logEvery, Math.round(steps / 10));
  return { config, dir: config.out, task, steps, evalEvery, resume, resuming: parsed.kind === 'resume' };
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

/** Variable names without the per-process model prefix (m3/simple_rnn/kernel → simple_rnn/kernel). */
function stableName(name: string): string {
  return name.replace(/^m\d+\//, '').replace(/\/m\d+\//, '/');
}

/** Samples `length` characters from the chars model, starting from `startId`. */
export async function sampleText(model: RnnModel, alphabet: string, startId: number, length: number, rng: Rng, temperature = 0.8): Promise<string> {
  const E = model.embedding;
  if (E === null) throw new Error('expected a token model to sample from, got a real-valued one');
  let h = tf.zeros([1, model.spec.units]) as tf.Tensor2D; // [1, H]
  let id = startId;
  let out = alphabet[id];
  for (let i = 0; i < length; i++) {
    const [hNext, probs] = tf.tidy(() => {
      const x = embeddingLookup(tf.tensor2d([[id]], [1, 1], 'int32'), E); // [1, 1, De]
      const hn = model.cell.apply(x, h) as tf.Tensor2D; // [1, H]
      return [hn, tf.softmax(tf.div(model.head(hn), temperature))]; // [1, V]
    });
    h.dispose();
    h = hNext;
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
  h.dispose();
  return out;
}

function readMetrics(file: string): MetricsLine[] {
  if (!fs.existsSync(file)) return [];
  const lines: MetricsLine[] = [];
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    if (raw.trim() === '') continue;
    try {
      lines.push(JSON.parse(raw) as MetricsLine);
    } catch {
      // a line cut short by a crash: dropped, its step is recomputed after the resume
    }
  }
  return lines;
}

function passes(bar: QualityBar, loss: number, accuracy: number | undefined): boolean {
  const v = bar.metric === 'loss' ? loss : (accuracy ?? NaN);
  return bar.direction === 'below' ? v < bar.value : v > bar.value;
}

export class Trainer {
  private stopSignal: NodeJS.Signals | null = null;
  private step = 0;
  private lastSavedStep = 0;

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
    const ckptRoot = path.join(dir, 'checkpoint');
    const metricsFile = path.join(dir, 'metrics.jsonl');
    fs.mkdirSync(dir, { recursive: true });

    const model = new RnnModel({
      input: task.input,
      embeddingDim: config.embeddingDim,
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
      await this.writeConfig(model);
      const ck = this.setup.resume;
      if (ck !== null) {
        await this.restore(ck, model, optimizer, task);
        this.progress.log(`resumed from ${path.relative(process.cwd(), ck.dir)} (step ${ck.step})`);
        for (const s of ck.skipped) this.progress.log(`skipped a bad checkpoint: ${s}`);
      }
      // Keep only the metrics the restored state has produced: later lines are recomputed.
      const kept = readMetrics(metricsFile).filter((m) => m.step <= this.step);
      writeFileAtomic.sync(metricsFile, kept.map((m) => `${JSON.stringify(m)}\n`).join(''), { fsync: true });
      const initFlowFile = path.join(dir, 'grad_flow_init.json');
      if (this.step === 0 || !fs.existsSync(initFlowFile)) {
        fs.writeFileSync(initFlowFile, JSON.stringify(await gradientFlow(model, flowBatch.x, flowBatch.y)));
      }

      const bar = await task.qualityBar();
      this.progress.log(`task ${task.name}: ${model.countParams()} parameters, ${steps} steps of ${config.batchSize}; bar: ${bar.text}`);
      const result = await this.loop(model, optimizer, bar, evalSet, metricsFile, ckptRoot);
      if (result.status !== 'completed') return result;

      // The end: held-out result, pictures, exported model, summary.
      const ev = await model.evaluate(evalSet.x, evalSet.y);
      const passed = passes(bar, ev.loss, ev.accuracy);
      const lines = readMetrics(metricsFile);
      const points: LossPoint[] = lines.map((m) => ({ step: m.step, loss: m.loss, evalLoss: m.evalLoss }));
      fs.writeFileSync(
        path.join(dir, 'loss_curve.svg'),
        await lossCurveSVG(points, `${task.name}: loss (${config.optimizer}, lr ${config.lr}, ${this.backendInfo.backend})`, bar.metric === 'loss' ? { value: bar.value, label: 'bar' } : undefined),
      );
      const initNorms = JSON.parse(fs.readFileSync(initFlowFile, 'utf8')) as number[];
      const finalNorms = await gradientFlow(model, flowBatch.x, flowBatch.y);
      fs.writeFileSync(path.join(dir, 'grad_flow.json'), JSON.stringify({ init: initNorms, final: finalNorms }));
      fs.writeFileSync(
        path.join(dir, 'grad_flow.svg'),
        await gradFlowSVG(
          [
            { label: 'at initialisation', norms: initNorms },
            { label: `after ${this.step} steps`, norms: finalNorms },
          ],
          `${task.name}: ‖∂L/∂h_t‖ over time (T = ${config.seqLen}, batch of ${flowBatch.x.shape[0]})`,
        ),
      );
      await exportLayersModel(model, path.join(dir, 'model'));
      const summary = {
        task: task.name,
        steps: this.step,
        evalLoss: ev.loss,
        evalAccuracy: ev.accuracy,
        bar,
        passed,
        backend: this.backendInfo.backend,
      };
      fs.writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
      const acc = ev.accuracy === undefined ? '' : `, accuracy ${ev.accuracy.toFixed(3)}`;
      const ratio = bar.metric === 'loss' && ev.loss > 0 ? ` (${(bar.baseline / ev.loss).toFixed(1)}× below the baseline ${bar.baseline.toFixed(4)})` : '';
      return {
        ...result,
        evalLoss: ev.loss,
        evalAccuracy: ev.accuracy,
        passed,
        message: `held-out loss ${ev.loss.toFixed(4)}${ratio}${acc}: bar ${passed ? 'PASSED' : 'NOT reached'} (${bar.text})`,
      };
    } finally {
      tf.dispose([evalSet.x, evalSet.y, flowBatch.x, flowBatch.y]);
      disposeOptimizer(optimizer);
      model.dispose();
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
    const modelArrays: NamedArray[] = [];
    for (const v of model.variables) {
      modelArrays.push({ name: stableName(v.name), shape: v.shape, dtype: 'float32', data: Float32Array.from((await v.data()) as Float32Array) });
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

  private async restore(ck: LoadedCheckpoint, model: RnnModel, optimizer: tf.Optimizer, task: Task): Promise<void> {
    const vars = model.variables;
    const arrays = ck.groups.model ?? [];
    if (arrays.length !== vars.length) {
      throw new Error(`expected ${vars.length} weight arrays in ${ck.dir}, got ${arrays.length}`);
    }
    arrays.forEach((a, i) => {
      if (a.shape.join(',') !== vars[i].shape.join(',')) {
        throw new Error(`expected ${stableName(vars[i].name)} of shape [${vars[i].shape}] in ${ck.dir}, got [${a.shape}]`);
      }
      tf.tidy(() => vars[i].assign(tf.tensor(a.data, a.shape)));
    });
    const opt = (ck.meta.optimizer ?? {}) as { name?: string; extras?: Record<string, number> };
    if (opt.name !== this.setup.config.optimizer) {
      throw new Error(`expected optimizer state of ${this.setup.config.optimizer} in ${ck.dir}, got ${String(opt.name)}`);
    }
    const tensors = (ck.groups.optimizer ?? []).map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape, a.dtype) }));
    await optimizer.setWeights(tensors);
    tf.dispose(tensors.map((t) => t.tensor));
    restoreOptimizerExtras(optimizer, opt.extras ?? {});
    task.restore(ck.meta.data as Record<string, unknown>);
    this.step = ck.step;
    this.lastSavedStep = ck.step;
  }

  private async writeConfig(model: RnnModel): Promise<void> {
    const file = path.join(this.setup.dir, 'config.json');
    const info = this.backendInfo;
    const backend = { backend: info.backend, package: info.package, version: info.version, summary: info.summary };
    let doc: Record<string, unknown>;
    if (this.setup.resuming && fs.existsSync(file)) {
      doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      const resumes = (doc.resumes as unknown[] | undefined) ?? [];
      resumes.push({ at: new Date().toISOString(), fromStep: this.setup.resume?.step ?? 0, steps: this.setup.steps, backend });
      doc.resumes = resumes;
      doc.config = this.setup.config;
    } else {
      doc = {
        config: this.setup.config,
        steps: this.setup.steps,
        parameters: model.countParams(),
        task: { name: this.setup.task.name, epochSize: this.setup.task.epochSize, vocabulary: this.setup.task.alphabet },
        backend,
        versions: { 'tfjs-rnn': PACKAGE_VERSION, '@tensorflow/tfjs': tf.version.tfjs, node: process.version },
        startedAt: new Date().toISOString(),
      };
    }
    writeFileAtomic.sync(file, `${JSON.stringify(doc, null, 2)}\n`, { fsync: true });
  }
}
