/**
 * Training leaks no tensors (200 steps; 100 for the largest model: a tensor leaked by any step,
 * evaluation, sample or checkpoint shows in the next of the 20 logged counts): the count is the
 * same at every logged step, and back to where it started once the run (with its evaluation,
 * samples, plots, export and checkpoints) is over.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { parseTrainArgs } from '../src/train/cli';
import type { Progress } from '../src/train/progress';
import { prepareRun } from '../src/train/run_setup';
import { Trainer } from '../src/train/trainer';
import { tempDir } from './train_helpers';

class CountingProgress implements Progress {
  readonly counts: number[] = [];
  start(): void {}
  update(): void {
    this.counts.push(tf.memory().numTensors);
  }
  log(): void {}
  stop(): void {}
}

const cases: Array<{ name: string; steps: number; flags: string[] }> = [
  { name: 'adding (SimpleRNN, adam)', steps: 200, flags: ['--task', 'adding', '--optimizer', 'adam'] },
  { name: 'chars (GRU, momentum, sampling text)', steps: 200, flags: ['--task', 'chars', '--cell', 'gru', '--optimizer', 'momentum', '--sample-every', '50'] },
  { name: 'sine (2 × bidirectional LSTM, adam)', steps: 100, flags: ['--task', 'sine', '--cell', 'lstm', '--layers', '2', '--bidirectional', '--optimizer', 'adam'] },
];

for (const c of cases) {
  it(`${c.name}: ${c.steps} steps, tensor count flat and back to the start`, async () => {
    const root = tempDir('leak');
    const info = await initBackend('cpu');
    const before = tf.memory().numTensors;
    const every = c.steps / 20;
    const parsed = parseTrainArgs([
      '--seq-len', '4', '--units', '3', '--embedding-dim', '2', '--batch-size', '2', '--steps', String(c.steps),
      '--log-every', String(every), '--checkpoint-every', String(c.steps / 4), '--eval-every', String(c.steps / 2), ...c.flags, '--out', path.join(root, 'run'),
    ]);
    if (parsed.kind !== 'new') throw new Error('expected a new run');
    const progress = new CountingProgress();
    const result = await new Trainer(prepareRun(parsed), info, progress).run();
    expect(result.status).toBe('completed');
    expect(progress.counts.length).toBe(20);
    expect(new Set(progress.counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    fs.rmSync(root, { recursive: true, force: true });
  });
}
