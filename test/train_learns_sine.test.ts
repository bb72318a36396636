/**
 * Noisy sine mixtures (small config, cpu): held-out MSE 2× below persistence (answering the last value).
 */
import * as fs from 'fs';
import { tempDir, trainInProcess } from './train_helpers';

it('sine learns past its bar with a small config', async () => {
  const root = tempDir('learn-sine');
  const { result } = await trainInProcess(['--task', 'sine', '--seq-len', '20', '--units', '16', '--activation', 'tanh', '--batch-size', '32', '--lr', '0.01', '--steps', '200', '--eval-every', '0', '--out', root + '/run']);
  expect(result.status).toBe('completed');
  expect(result.evalLoss).toBeLessThan(result.bar.baseline / 2);
  expect(result.passed).toBe(true);
  fs.rmSync(root, { recursive: true, force: true });
});
