/**
 * npm run train -- [flags]   (npm run train -- --help for the list)
 *
 * Thin: parse and check the flags (a bad one: message + usage, exit 2, nothing written), pick the
 * backend, train, print where the results are. Exit codes: 0 done, 2 bad flags or a run that cannot
 * be resumed (nothing changed), 3 the loss went NaN/Inf, 130 / 143 stopped by SIGINT / SIGTERM
 * after saving a checkpoint, 1 anything else.
 */
import * as path from 'path';
import { assertNoWebGPUErrors, initBackend } from '../src';
import { HELP, parseTrainArgs, USAGE } from '../src/train/cli';
import { UsageError } from '../src/train/errors';
import { makeProgress } from '../src/train/progress';
import { prepareRun } from '../src/train/run_setup';
import { Trainer } from '../src/train/trainer';

function usageFail(message: string, showUsage = true): never {
  process.stderr.write(`error: ${message}\n${showUsage ? `${USAGE}\n` : ''}`);
  process.exit(2);
}

async function main(): Promise<number> {
  let setup;
  try {
    const parsed = parseTrainArgs(process.argv.slice(2));
    if (parsed.kind === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    setup = prepareRun(parsed);
  } catch (e) {
    if (e instanceof UsageError) usageFail(e.message, e.showUsage);
    throw e;
  }
  let info;
  try {
    info = await initBackend(setup.config.backend === 'auto' ? undefined : setup.config.backend);
  } catch (e) {
    usageFail(`--backend: ${(e as Error).message}`);
  }
  process.stdout.write(`backend: ${info.summary}\n`);
  process.stdout.write(`run directory: ${setup.dir}\n`);

  const trainer = new Trainer(setup, info, makeProgress());
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`\n${signal} again: exiting now; the last checkpoint on disk is intact. Resume with:\n  ${trainer.resumeCommand}\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    process.stderr.write(`\n${signal}: finishing this step and saving a checkpoint…\n`);
    trainer.requestStop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let result;
  try {
    result = await trainer.run();
  } catch (e) {
    // A checkpoint that does not fit the model is found once the model exists; nothing is written yet.
    if (e instanceof UsageError) usageFail(e.message, e.showUsage);
    throw e;
  }
  if (info.backend === 'webgpu') await assertNoWebGPUErrors(); // a Dawn validation error is an error
  if (result.status === 'interrupted') {
    process.stderr.write(`${result.message}\n`);
    return result.message.startsWith('SIGTERM') ? 143 : 130;
  }
  if (result.status === 'diverged') {
    process.stderr.write(`error: ${result.message}\n`);
    return 3;
  }
  process.stdout.write(
    `done: ${result.step} steps. ${result.message}\n` +
      `outputs in ${setup.dir}${path.sep}: config.json metrics.jsonl loss_curve.svg grad_flow.svg model/ checkpoint/ summary.json${setup.task.name === 'chars' ? ' text.txt' : ''}\n` +
      (result.modelNote === undefined ? '' : `model/: ${result.modelNote}\n`),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
