/**
 * Character model on the shipped text (small config, cpu): held-out loss below the unigram model's.
 */
import * as fs from 'fs';
import { tempDir, trainInProcess } from './train_helpers';

it('chars learns past its bar with a small config', async () => {
  const root = tempDir('learn-chars');
  const { result } = await trainInProcess(['--task', 'chars', '--seq-len', '32', '--units', '32', '--embedding-dim', '16', '--batch-size', '16', '--lr', '0.01', '--steps', '60', '--sample-every', '0', '--eval-every', '0', '--out', root + '/run']);
  expect(result.status).toBe('completed');
  expect(result.evalLoss).toBeLessThan(result.bar.baseline);
  expect(result.passed).toBe(true);
  fs.rmSync(root, { recursive: true, force: true });
});
