/**
 * The plumbing shared by tasks whose data a seeded generator makes (adding, sine): one real-valued
 * sequence per example, one scalar target, MSE. Training batches continue one RNG stream (its
 * state is the checkpointed data position); the held-out set restarts its own stream every time.
 */
import { Rng, RngState } from '../random';
import type { Batch, DataState, QualityBar, Task } from './task';

export abstract class GeneratedRealTask implements Task {
  readonly objective = 'mse' as const;
  readonly outputDim = 1;
  readonly returnSequences = false;
  readonly epochSize = 10000;
  abstract readonly input: { kind: 'real'; dim: number };
  private rng: Rng;

  constructor(
    readonly name: 'adding' | 'sine',
    readonly seqLen: number,
    protected readonly seed: number,
    private readonly evalSize: number,
  ) {
    if (seqLen < 2) throw new Error(`expected --seq-len ≥ 2 for the ${name} task, got ${seqLen}`);
    this.rng = new Rng(`${name}/train/${seed}`);
  }

  /** B sequences of length T drawn from rng. */
  protected abstract generate(rng: Rng, B: number, T: number): Batch;

  abstract qualityBar(): Promise<QualityBar>;

  nextBatch(batchSize: number): Batch {
    return this.generate(this.rng, batchSize, this.seqLen);
  }

  evalBatch(): Batch {
    return this.generate(new Rng(`${this.name}/eval/${this.seed}`), this.evalSize, this.seqLen);
  }

  state(): DataState {
    return { rng: this.rng.state() };
  }

  restore(state: DataState): void {
    this.rng = new Rng('', state.rng as RngState);
  }
}
