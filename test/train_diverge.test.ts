/**
 * A NaN/Inf loss stops training with a clear message and a non-zero exit (3), keeping the last good
 * checkpoint and writing no checkpoint of the broken weights.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint } from '../src/train/checkpoint';
import { readMetricsLines, spawnTrain, tempDir } from './train_helpers';

it('loss blows up: exit 3, message, last good checkpoint kept', async () => {
  const root = tempDir('nan');
  const out = path.join(root, 'run');
  // Plain SGD with a huge step on a ReLU cell: the weights overflow within a few steps.
  const r = await spawnTrain([
    '--task', 'adding', '--seq-len', '10', '--units', '8', '--batch-size', '8', '--steps', '200', '--activation', 'relu',
    '--optimizer', 'sgd', '--lr', '1e6', '--clip-norm', '0', '--checkpoint-every', '1', '--log-every', '1', '--backend', 'cpu', '--out', out,
  ]).done;
  expect(r.code).toBe(3);
  const m = /error: loss is (NaN|Infinity) at step (\d+) .*The last good checkpoint is step (\d+)/.exec(r.stderr);
  expect(m).not.toBeNull();
  const badStep = Number(m?.[2]);
  const ck = loadCheckpoint(path.join(out, 'checkpoint'));
  expect(ck?.step).toBe(badStep - 1);
  expect(Number(m?.[3])).toBe(badStep - 1);
  for (const a of ck?.groups.model ?? []) expect(Array.from(a.data).every(Number.isFinite)).toBe(true);
  expect(readMetricsLines(out).every((l) => Number.isFinite(l.loss))).toBe(true);
  expect(fs.existsSync(path.join(out, 'model'))).toBe(false);
  fs.rmSync(root, { recursive: true, force: true });
});
