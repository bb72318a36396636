/**
 * Synthetic IMDB-shaped sentiment (length 60, small config, cpu): held-out accuracy above 0.8.
 */
import * as fs from 'fs';
import { tempDir, trainInProcess } from './train_helpers';

it('sentiment learns past its bar with a small config', async () => {
  const root = tempDir('learn-sentiment');
  const { result } = await trainInProcess(['--task', 'sentiment', '--seq-len', '60', '--units', '16', '--embedding-dim', '8', '--lr', '0.01', '--steps', '100', '--eval-every', '0', '--out', root + '/run']);
  expect(result.status).toBe('completed');
  expect(result.evalAccuracy).toBeGreaterThan(0.8);
  expect(result.passed).toBe(true);
  fs.rmSync(root, { recursive: true, force: true });
});
