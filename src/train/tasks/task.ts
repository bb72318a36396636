/**
 * What a training task gives the trainer: seeded batches, a held-out evaluation set, the quality
 * bar it must reach, and the state a checkpoint needs to continue the data stream exactly.
 */
import * as tf from '@tensorflow/tfjs';

export type TaskName = 'adding' | 'sine' | 'sentiment' | 'chars';
export const TASK_NAMES: readonly TaskName[] = ['adding', 'sine', 'sentiment', 'chars'];

/** mse: real targets; binary: 0/1 targets through a sigmoid; categorical: next-token ids. */
export type Objective = 'mse' | 'binary' | 'categorical';

/** Real-valued input features, or integer token ids looked up in an embedding. */
export type TaskInput = { kind: 'real'; dim: number } | { kind: 'tokens'; vocabSize: number };

export interface Batch {
  /** real: float32 [B, T, D]; tokens: int32 [B, T]. */
  x: tf.Tensor;
  /** mse/binary: float32 [B, 1]; categorical: int32 [B, T]. */
  y: tf.Tensor;
}

/** The bar a trained model must pass on the held-out set, and the baseline it is measured from. */
export interface QualityBar {
  metric: 'loss' | 'accuracy';
  /** 'below' for loss, 'above' for accuracy. */
  direction: 'below' | 'above';
  value: number;
  /** The trivial baseline (e.g. always answering 1.0), on the same held-out set. */
  baseline: number;
  /** One line a person reads: what the bar means. */
  text: string;
}

/** JSON-serialisable position in the data stream. */
export type DataState = Record<string, unknown>;

export interface Task {
  readonly name: TaskName;
  readonly objective: Objective;
  readonly input: TaskInput;
  /** Units of the Dense head: 1, or the vocabulary size. */
  readonly outputDim: number;
  /** True when the model predicts at every step (chars). */
  readonly returnSequences: boolean;
  readonly seqLen: number;
  /** Sequences in one epoch (for --epochs). */
  readonly epochSize: number;
  /** Characters of the vocabulary (chars only), to print samples. */
  readonly alphabet?: string;
  /** The next training batch; advances the data stream. Caller disposes. */
  nextBatch(batchSize: number): Batch;
  /** The held-out evaluation set (same every call). Caller disposes. */
  evalBatch(): Batch;
  /** The bar on the held-out set. */
  qualityBar(): Promise<QualityBar>;
  /** Where the stream is. */
  state(): DataState;
  /** Continue the stream from a saved state. */
  restore(state: DataState): void;
}
