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
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { RefusedFileError, type BackendInfo } from '..';
import { CheckpointContents, LoadedCheckpoint } from './checkpoint';
import { ResumeError } from './errors';
import { gradientFlow } from './grad_flow';
import { accuracyOf, RnnModel } from './model';
import { disposeOptimizer, makeOptimizer, modelArrays, optimizerArrays, optimizerExtras, restoreArrays } from './optimizer_state';
import type { Progress } from './progress';
import { Rng } from './random';
import { checkCheckpointFits } from './resume';
import { RUN_FILES, RunFolder } from './run_folder';
import type { RunSetup } from './run_setup';
import { sampleText } from './sampling';
import { compareWithCheckpoint, runIdentity } from './run_identity';
import { configDocument } from './run_record';
import { describeModel, MetricsLine, modelNote, passes, resultMessage, TrainResult, writeClosingFiles } from './summary';
import type { QualityBar } from './tasks/task';

export class Trainer {
  private stopSignal: NodeJS.Signals | null = null;
  private step = 0;
  private lastSavedStep = 0;
  /** The held-out result at the last step, once the loop has logged it. */
  private finalEval: { loss: number; accuracy?: number } | null = null;
  /** The run folder, once the run goes ahead (nothing is written before). */
  private folder: RunFolder | null = null;

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
    // Absolute, so it works from any directory; quoted where a shell would split or expand it.
    const dir = this.setup.dir;
    return `npm run train -- --resume ${/^[\w@%+=:,./-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, `'\\''`)}'`}`;
  }

  async run(): Promise<TrainResult> {
    const { config, task, steps, dir } = this.setup;

    const model = new RnnModel(this.setup.spec);
    const optimizer = makeOptimizer(config.optimizer, config.lr);
    const evalSet = task.evalBatch();
    const flowBatch = tf.tidy(() => {
      const n = Math.min(32, evalSet.x.shape[0]);
      return { x: tf.slice(evalSet.x, 0, n), y: tf.slice(evalSet.y, 0, n) };
    });
    try {
      // Everything that can refuse the run comes before its first write.
      const savedInitFlow = this.setup.resuming ? RunFolder.open(dir).readInitFlow(config.seqLen) : null;
      // The model is at its seeded initialisation here, also when resuming.
      const initFlow = savedInitFlow ?? (await gradientFlow(model, flowBatch.x, flowBatch.y));
      const ck = this.setup.resume === null ? null : await this.fittingCheckpoint(this.setup.resume, model, optimizer);
      if (ck !== null) await this.restore(ck, model, optimizer);
      const bar = await task.qualityBar();

      // The run goes ahead: from here on its files change.
      const run = RunFolder.create(dir);
      this.folder = run;
      if (this.setup.textToCopy !== null) run.writeText(this.setup.textToCopy);
      run.writeConfig(configDocument(this.setup, this.backendInfo, this.step, model.countParams()));
      if (ck !== null) {
        this.progress.log(`resumed from ${path.relative(process.cwd(), ck.dir)} (step ${ck.step})`);
        for (const s of ck.skipped) this.progress.log(`skipped a checkpoint: ${s}`);
      }
      const moved = run.keepMetricsUpToStep(this.step);
      if (moved > 0) this.progress.log(`metrics.jsonl: ${moved} line(s) after step ${this.step} moved to ${RUN_FILES.supersededMetrics} (those steps run again)`);
      if (savedInitFlow === null) run.writeInitFlow(initFlow);

      this.progress.log(`task ${task.name}: ${describeModel(config)}, ${model.countParams()} parameters, ${steps} steps of ${config.batchSize}; bar: ${bar.text}`);
      const result = await this.loop(model, optimizer, bar, evalSet);
      if (result.status !== 'completed') return result;

      // The end: held-out result, pictures, exported model, summary.
      const ev = this.finalEval ?? (await model.evaluate(evalSet.x, evalSet.y));
      const passed = passes(bar, ev.loss, ev.accuracy);
      await writeClosingFiles(run, model, { config, task, bar, backend: this.backendInfo.backend, step: this.step, ev, passed, initFlow, flowBatch });
      return { ...result, evalLoss: ev.loss, evalAccuracy: ev.accuracy, passed, message: resultMessage(bar, ev.loss, ev.accuracy, passed), modelNote: modelNote(model) };
    } finally {
      tf.dispose([evalSet.x, evalSet.y, flowBatch.x, flowBatch.y]);
      disposeOptimizer(optimizer);
      model.dispose();
    }
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
    const fits = (ck: CheckpointContents, dir: string): void => {
      checkCheckpointFits(ck, dir, target);
      compareWithCheckpoint(this.setup.config, ck.meta, ck.step, path.join(this.setup.dir, RUN_FILES.config));
    };
    try {
      fits(first, first.dir);
      return first;
    } catch {
      // Read them again, newest first, with the check: the reasons are collected there.
    }
    const dir = this.setup.dir;
    try {
      const ck = RunFolder.open(dir).loadCheckpoint(fits);
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
  ): Promise<TrainResult> {
    const { config, task, steps, evalEvery, dir } = this.setup;
    const run = this.folder as RunFolder;
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
              `The last good checkpoint is step ${this.lastSavedStep} in ${path.join(dir, RUN_FILES.checkpoints)}. ` +
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
          run.appendMetrics(line);
          this.progress.update(this.step, { loss, accuracy: line.accuracy, seqPerSec: line.seqPerSec, evalLoss: line.evalLoss, evalAccuracy: line.evalAccuracy });
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
        if (this.step % config.checkpointEvery === 0 || this.step === steps) await this.save(model, optimizer);
        await new Promise((resolve) => setImmediate(resolve)); // let SIGINT/SIGTERM handlers run
      }
    } finally {
      this.progress.stop();
    }
    if (this.stopSignal !== null) {
      await this.save(model, optimizer);
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

  private async save(model: RnnModel, optimizer: tf.Optimizer): Promise<void> {
    const run = this.folder as RunFolder;
    if (this.step === this.lastSavedStep && run.hasCheckpoints()) return;
    const model_ = await modelArrays(model);
    const optimizer_ = await optimizerArrays(model, optimizer);
    run.saveCheckpoint({
      step: this.step,
      meta: {
        data: this.setup.task.state(),
        optimizer: { name: this.setup.config.optimizer, extras: await optimizerExtras(optimizer) },
        task: this.setup.config.task,
        run: runIdentity(this.setup.config, this.setup.textSha256),
      },
      groups: { model: model_, optimizer: optimizer_ },
    });
    this.lastSavedStep = this.step;
  }

  /** Puts ck (checked by fittingCheckpoint) into the model, the optimizer and the data stream. */
  private async restore(ck: LoadedCheckpoint, model: RnnModel, optimizer: tf.Optimizer): Promise<void> {
    const opt = ck.meta.optimizer as { extras: Record<string, number> };
    await restoreArrays({ model: ck.groups.model, optimizer: ck.groups.optimizer }, opt.extras, model, optimizer);
    this.setup.task.restore(ck.meta.data as Record<string, unknown>);
    this.step = ck.step;
    this.lastSavedStep = ck.step;
  }
}
