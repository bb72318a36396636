/**
 * The benchmark suite: implementations × backends × shapes (× cells), in one run.
 *
 *   npm run bench                                  all backends that load (cpu, wasm, webgpu), S1–S4
 *   npm run bench -- --quick                       S1 + S2, 5 reps, 30 s budget per combination
 *   npm run bench -- --cell lstm --quick           the LSTM at S1 + S5 (likewise --cell gru)
 *   npm run bench -- --backend wasm --shapes S3,S4 --reps 7
 *   npm run bench -- --shapes B32xT250xD32xH100    a custom shape
 *   npm run bench -- --fit                         model.fit() with our drop-in layers vs tf.layers (wasm)
 *   npm run bench -- --help                        every option
 *
 * How it measures: bench.ts (the run), bench_shape.ts (one shape), NOTES.md (the method).
 * Fresh results go to benchmarks/results/local/ (ignored by git); the committed reference runs
 * are the files directly in benchmarks/results/.
 */
import { parseArgs, HELP, wantsHelp } from './cli';
import { runBench } from './bench';
import { runFitBench } from './fit';
import type { BenchOptions } from './types';

const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  console.log(HELP);
  process.exit(0);
}
const t0 = performance.now();
let opts: BenchOptions;
try {
  opts = parseArgs(argv);
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)} (npm run bench -- --help for the options)`);
  process.exit(2);
}
if (opts.fit) {
  runFitBench(opts)
    .then(() => console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`))
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
} else runBench(opts)
  .then((outcome) => {
    console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    // A backend asked for by name that could not run is an error, not a silent skip.
    const failed = opts.backends === undefined ? [] : outcome.unavailable.filter((u) => u.what !== 'torch');
    for (const u of failed) console.error(`error: backend '${u.what}' was asked for and cannot run: ${u.reason}`);
    if (failed.length > 0) process.exit(1);
  })
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
