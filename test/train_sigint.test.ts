/**
 * Ctrl-C (SIGINT) and SIGTERM: the run finishes its step, saves a checkpoint at that step, prints
 * the exact command to resume, and exits 130 / 143; resuming finishes the same run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint } from '../src/train/checkpoint';
import { readMetricsLines, spawnTrain, tempDir, trainInProcess, waitForOutput } from './train_helpers';

const FLAGS = ['--task', 'sine', '--seq-len', '6', '--units', '4', '--batch-size', '4', '--steps', '3000', '--log-every', '1', '--checkpoint-every', '1000', '--eval-every', '0', '--backend', 'cpu'];

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  it(`${signal}: checkpoint at the current step, resume command, exit ${code}`, async () => {
    const root = tempDir('signal');
    const out = path.join(root, 'run');
    const run = spawnTrain([...FLAGS, '--out', out]);
    await waitForOutput(run, /step 20\/3000/);
    run.child.kill(signal);
    const r = await run.done;
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`${signal}: saved a checkpoint at step`);
    const resumeLine = r.stderr.split('\n').find((l) => l.includes('npm run train -- --resume'));
    expect(resumeLine?.trim()).toBe(`npm run train -- --resume ${out}`); // absolute: it works from any directory
    const ck = loadCheckpoint(path.join(out, 'checkpoint'));
    const logged = readMetricsLines(out).map((m) => m.step);
    expect(ck?.step).toBe(Math.max(...logged)); // nothing lost: the checkpoint is at the last step taken
    expect(ck?.step).toBeLessThan(3000);

    if (signal === 'SIGINT') {
      const resumed = await trainInProcess(['--resume', out, '--steps', String((ck?.step ?? 0) + 5)]);
      expect(resumed.result.status).toBe('completed');
      expect(readMetricsLines(out).map((m) => m.step)).toEqual(Array.from({ length: (ck?.step ?? 0) + 5 }, (_, i) => i + 1));
    }
    fs.rmSync(root, { recursive: true, force: true });
  });
}
