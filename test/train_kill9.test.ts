/**
 * SIGKILL at seeded-random moments, then --resume, several times: every checkpoint left behind
 * verifies, no more than one checkpoint interval of steps is ever lost, and the finished run's
 * metrics equal an uninterrupted run's, each step logged exactly once.
 */
import * as fs from 'fs';
import * as path from 'path';
import seedrandom from 'seedrandom';
import { loadCheckpoint } from '../src/train/checkpoint';
import { readMetricsLines, spawnTrain, tempDir, trainInProcess, waitForOutput } from './train_helpers';

// Long enough that the kills land mid-run: the tiny model trains at ~1000 steps/s on cpu, a kill
// comes at most 320 ms after a resumed run's first line, so the first two kills land before 700.
const STEPS = 1000;
const FLAGS = ['--task', 'adding', '--seq-len', '6', '--units', '4', '--batch-size', '4', '--steps', String(STEPS), '--log-every', '1', '--checkpoint-every', '10', '--eval-every', '0', '--backend', 'cpu'];
const CHECKPOINT_EVERY = 10;
const KILLS = 4;

it('kill -9 at random moments never corrupts a checkpoint nor loses more than one interval', async () => {
  const root = tempDir('kill9');
  const reference = path.join(root, 'reference');
  const chaos = path.join(root, 'chaos');
  await trainInProcess([...FLAGS, '--out', reference]);

  const rng = seedrandom('kill -9 moments');
  let args = [...FLAGS, '--out', chaos];
  let kills = 0;
  for (let attempt = 0; attempt < KILLS; attempt++) {
    const run = spawnTrain(args);
    // Past the first checkpoint: a run with none cannot be resumed (it is refused, not restarted).
    await waitForOutput(run, new RegExp(`step (1[1-9]|[2-9]\\d|\\d{3,})/${STEPS}`));
    await new Promise((r) => setTimeout(r, 20 + Math.floor(rng() * 300)));
    run.child.kill('SIGKILL');
    const r = await run.done;
    if (r.signal === 'SIGKILL') kills++;
    const ck = loadCheckpoint(path.join(chaos, 'checkpoint')); // throws when nothing verifies
    expect(ck?.skipped ?? []).toEqual([]);
    const logged = readMetricsLines(chaos).map((m) => m.step);
    const lastLogged = logged.length === 0 ? 0 : Math.max(...logged);
    expect(lastLogged - (ck?.step ?? 0)).toBeLessThanOrEqual(CHECKPOINT_EVERY);
    args = ['--resume', chaos, '--backend', 'cpu'];
    if (r.code === 0) break; // the run finished before the kill: nothing left to interrupt
  }
  expect(kills).toBeGreaterThanOrEqual(2);
  const last = await spawnTrain(args).done;
  expect(last.code).toBe(0);

  const a = readMetricsLines(reference);
  const b = readMetricsLines(chaos);
  expect(b.map((m) => m.step)).toEqual(a.map((m) => m.step)); // each step once, none missing
  expect(b.map((m) => [m.step, m.loss, m.gradNorm])).toEqual(a.map((m) => [m.step, m.loss, m.gradNorm]));
  expect(fs.existsSync(path.join(chaos, 'model', 'model.json'))).toBe(true);
  fs.rmSync(root, { recursive: true, force: true });
});
