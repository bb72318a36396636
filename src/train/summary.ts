/**
 * What a run reports: the metrics line, the result the trainer returns, and the words for a
 * person (the model in a few words, who can read the exported model, the closing line against
 * the baseline and the bar).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config';
import { stockReadable } from './export';
import { gradientFlow } from './grad_flow';
import type { ModelSpec, RnnModel } from './model';
import { gradFlowSVG, lossCurveSVG, LossPoint } from './plots';
import type { RunFolder } from './run_folder';
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

export function passes(bar: QualityBar, loss: number, accuracy: number | undefined): boolean {
  const v = bar.metric === 'loss' ? loss : (accuracy ?? NaN);
  return bar.direction === 'below' ? v < bar.value : v > bar.value;
}

/** Three significant digits, without an exponent for the sizes a loss or a ratio has here. */
export function sig3(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toString();
  const s = v.toPrecision(3);
  return s.includes('e') ? v.toExponential(2) : s;
}

/** How far a loss is from the baseline, in words that hold on either side of it. */
function againstBaseline(loss: number, baseline: number): string {
  const base = `the baseline ${sig3(baseline)}`;
  if (!Number.isFinite(loss) || !(baseline > 0)) return '';
  if (loss === baseline) return `, equal to ${base}`;
  const side = loss < baseline ? 'below' : 'above';
  if (loss <= 0) return `, ${side} ${base}`;
  const ratio = loss < baseline ? baseline / loss : loss / baseline;
  // Close to the baseline a ratio reads as "1.00×"; a percentage says which side.
  const amount = ratio >= 1.1 ? `${sig3(ratio)}×` : `${sig3((Math.abs(loss - baseline) / baseline) * 100)}%`;
  return `, ${amount} ${side} ${base}`;
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
export function modelNote(model: RnnModel): string {
  if (stockReadable(model)) return `stock tf.loadLayersModel reads it (${stockClasses(model.spec)})`;
  return (
    "a Keras-format GRU with reset_after: true, which stock tf.loadLayersModel refuses (\"GRUCell does not support reset_after " +
    "parameter set to true\"); tfjs-rnn's loadLayersModel reads it (import { loadLayersModel } from 'tfjs-rnn')"
  );
}

/** The closing line of a completed run: the held-out result, against the baseline and the bar. */
export function resultMessage(bar: QualityBar, evalLoss: number, evalAccuracy: number | undefined, passed: boolean): string {
  const vsLoss = bar.metric === 'loss' ? againstBaseline(evalLoss, bar.baseline) : '';
  const acc = evalAccuracy === undefined ? '' : `, accuracy ${evalAccuracy.toFixed(3)}${bar.metric === 'accuracy' ? ` against the baseline ${bar.baseline.toFixed(3)}` : ''}`;
  return `held-out loss ${sig3(evalLoss)}${vsLoss}${acc}; ${passed ? 'passed the bar' : 'did not reach the bar'}: ${bar.text}`;
}

/** What the closing files say. */
export interface RunEnd {
  config: TrainConfig;
  task: Task;
  bar: QualityBar;
  backend: string;
  step: number;
  ev: { loss: number; accuracy?: number };
  passed: boolean;
  /** ‖∂L/∂h_t‖ at initialisation, and the batch it was measured on (measured again now). */
  initFlow: number[];
  flowBatch: { x: tf.Tensor; y: tf.Tensor };
}

/** The files of a completed run: loss curve, gradient flow (JSON and plot), model/, summary.json. */
export async function writeClosingFiles(run: RunFolder, model: RnnModel, end: RunEnd): Promise<void> {
  const { config, task, bar, ev, initFlow, flowBatch } = end;
  const points: LossPoint[] = run.readMetrics<MetricsLine>().flatMap((r) => (r.line === null ? [] : [{ step: r.line.step, loss: r.line.loss, evalLoss: r.line.evalLoss }]));
  run.writeLossCurve(
    await lossCurveSVG(points, `${task.name}: loss (${describeModel(config)}, ${config.optimizer}, lr ${config.lr}, ${end.backend})`, bar.metric === 'loss' ? { value: bar.value, label: `bar (${bar.value.toPrecision(3)})` } : undefined),
  );
  const finalNorms = await gradientFlow(model, flowBatch.x, flowBatch.y);
  run.writeFlow({ init: initFlow, final: finalNorms });
  run.writeFlowPlot(
    await gradFlowSVG(
      [
        { label: 'at initialisation', norms: initFlow },
        { label: `after ${end.step} steps`, norms: finalNorms },
      ],
      `${task.name}: ‖∂L/∂h_t‖ of the first ${describeModel(config)} layer over time (T = ${config.seqLen}, batch of ${flowBatch.x.shape[0]})`,
    ),
  );
  await run.exportModel(model);
  run.writeSummary({
    task: task.name,
    model: { cell: config.cell, layers: config.layers, bidirectional: config.bidirectional, resetAfter: config.resetAfter, parameters: model.countParams() },
    steps: end.step,
    evalLoss: ev.loss,
    evalAccuracy: ev.accuracy,
    bar,
    passed: end.passed,
    backend: end.backend,
  });
}
