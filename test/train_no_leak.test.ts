/**
 * 1,000 training steps leak no tensors: the count is the same at every logged step, and back to
 * where it started once the run (with its evaluation, plots, export and checkpoints) is over.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { parseTrainArgs } from '../src/train/cli';
import type { Progress } from '../src/train/progress';
import { prepareRun, Trainer } from '../src/train/trainer';
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

for (const [task, extra] of [
  ['adding', ['--optimizer', 'adam']],
  ['chars', ['--optimizer', 'momentum', '--sample-every', '250']],
] as const) {
  it(`${task}: 1000 steps, tensor count flat and back to the start`, async () => {
    const root = tempDir('leak');
    const info = await initBackend('cpu');
    const before = tf.memory().numTensors;
    const parsed = parseTrainArgs([
      '--task', task, '--seq-len', '4', '--units', '3', '--embedding-dim', '2', '--batch-size', '2', '--steps', '1000',
      '--log-every', '50', '--checkpoint-every', '250', '--eval-every', '500', ...extra, '--out', path.join(root, 'run'),
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
