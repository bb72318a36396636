/**
 * Every cell learns the adding problem at T = 10 with a small config (cpu, `npm run train` in a
 * child process): held-out MSE 5× below the 1/6 of always answering 1.0. LSTM, GRU in both forms,
 * and a stack of two bidirectional LSTM layers; 200 steps end at 0.0017–0.0103 against the
 * 0.033 bar (seed 1). The run's last lines say who can load model/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnTrain, tempDir } from './train_helpers';

const SMALL = ['--task', 'adding', '--seq-len', '10', '--units', '8', '--lr', '0.02', '--batch-size', '16', '--steps', '200', '--eval-every', '0', '--log-every', '50'];

describe('every cell learns the adding problem past its bar', () => {
  for (const [name, flags, loads] of [
    ['LSTM', ['--cell', 'lstm'], /model\/: stock tf\.loadLayersModel reads it \(LSTM → Dense\(linear\)\)/],
    ['GRU', ['--cell', 'gru'], /model\/: stock tf\.loadLayersModel reads it \(GRU → Dense\(linear\)\)/],
    ['GRU (reset after)', ['--cell', 'gru', '--reset-after'], /model\/: a Keras-format GRU with reset_after: true, which stock tf\.loadLayersModel refuses .*; tfjs-rnn's loadLayersModel reads it/],
    ['2 × bidirectional LSTM', ['--cell', 'lstm', '--layers', '2', '--bidirectional'], /model\/: stock tf\.loadLayersModel reads it \(2 × Bidirectional\(LSTM\) → Dense\(linear\)\)/],
  ] as const) {
    it(name, async () => {
      const root = tempDir('learn-cells');
      const out = path.join(root, 'run');
      const r = await spawnTrain([...SMALL, ...flags, '--out', out]).done;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`task adding: ${name},`);
      expect(r.stdout).toMatch(/^done: 200 steps\. .*; passed the bar: /m);
      expect(r.stdout).toMatch(loads);
      const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
      expect(summary.evalLoss).toBeLessThan(1 / 6 / 5);
      expect(summary.passed).toBe(true);
      fs.rmSync(root, { recursive: true, force: true });
    });
  }
});
