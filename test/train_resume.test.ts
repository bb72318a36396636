/**
 * --resume continues exactly: a run stopped at step k and resumed reproduces the uninterrupted
 * run's metrics (loss, gradient norm, accuracy) from step k + 1 on, bit for bit, on the same
 * backend, for every cell, stacked and bidirectional. Adam's state (moments, step count, β^t),
 * stored under the weights' stable names, and the data stream's position are restored.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readMetricsLines, tempDir, trainInProcess } from './train_helpers';

const cases: Array<{ name: string; flags: string[] }> = [
  { name: 'adding with adam', flags: ['--task', 'adding', '--seq-len', '8', '--units', '8', '--batch-size', '8', '--optimizer', 'adam', '--lr', '0.01'] },
  {
    name: 'sentiment (fixed training set, epoch position) with momentum',
    flags: ['--task', 'sentiment', '--seq-len', '10', '--units', '6', '--embedding-dim', '4', '--batch-size', '8', '--optimizer', 'momentum', '--lr', '0.05'],
  },
  { name: 'adding with an LSTM and adam', flags: ['--task', 'adding', '--cell', 'lstm', '--seq-len', '8', '--units', '6', '--batch-size', '8', '--optimizer', 'adam', '--lr', '0.01'] },
  {
    name: 'sine with 2 × bidirectional GRU (reset after) and adam',
    flags: ['--task', 'sine', '--cell', 'gru', '--reset-after', '--layers', '2', '--bidirectional', '--seq-len', '8', '--units', '3', '--batch-size', '8', '--optimizer', 'adam', '--lr', '0.01'],
  },
  { name: 'chars with 2 × LSTM and momentum', flags: ['--task', 'chars', '--cell', 'lstm', '--layers', '2', '--seq-len', '12', '--units', '6', '--batch-size', '4', '--optimizer', 'momentum', '--lr', '0.1', '--sample-every', '0'] },
  { name: 'chars with sgd', flags: ['--task', 'chars', '--seq-len', '12', '--units', '8', '--batch-size', '4', '--optimizer', 'sgd', '--lr', '0.5', '--sample-every', '0'] },
];

describe('resume reproduces the uninterrupted run', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const root = tempDir('resume');
      const full = path.join(root, 'full');
      const part = path.join(root, 'part');
      const common = [...c.flags, '--log-every', '1', '--checkpoint-every', '5', '--eval-every', '0'];
      const before = tf.memory().numTensors;
      await trainInProcess([...common, '--steps', '24', '--out', full]);
      const first = await trainInProcess([...common, '--steps', '13', '--out', part]);
      expect(first.result.status).toBe('completed');
      const resumed = await trainInProcess(['--resume', part, '--steps', '24']);
      expect(resumed.result.status).toBe('completed');
      expect(resumed.log.some((l) => l.includes('resumed from') && l.includes('step 13'))).toBe(true);
      expect(tf.memory().numTensors).toBe(before);

      const a = readMetricsLines(full);
      const b = readMetricsLines(part);
      expect(b.map((m) => m.step)).toEqual(a.map((m) => m.step));
      const pick = (m: { step: number; loss: number; gradNorm: number; accuracy?: number; evalLoss?: number }) => ({
        step: m.step,
        loss: m.loss,
        gradNorm: m.gradNorm,
        accuracy: m.accuracy,
        evalLoss: m.evalLoss,
      });
      // evalLoss differs only at step 13, where the first part ended (and evaluated)
      expect(b.map(pick).filter((m) => m.step !== 13)).toEqual(a.map(pick).filter((m) => m.step !== 13));
      expect(b.find((m) => m.step === 13)?.loss).toBe(a.find((m) => m.step === 13)?.loss);
      const summary = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { evalLoss: number };
      expect(summary(part).evalLoss).toBe(summary(full).evalLoss);
      fs.rmSync(root, { recursive: true, force: true });
    });
  }
});
