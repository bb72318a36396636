/**
 * Truncated BPTT on one very long sequence, with memory that does not grow with its length: a
 * stateful layers.lstm trained by fitTruncatedBPTT in chunks of K steps (the states flow on from
 * chunk to chunk, the gradient goes back K steps), on next-value prediction of a noisy sum of two
 * sines. For each T it prints the loss of the first and the last chunk and the peak tensor memory
 * (tf.profile's peakBytes) above what was live before training; then the same for full BPTT (one
 * trainOnBatch over the whole sequence), whose peak grows with T. tf.profile cannot sum up more
 * than about 10^5 kernels at once, so the long runs are profiled in windows of WINDOW steps, each
 * one fitTruncatedBPTT call that continues from the states the previous one left
 * (resetStates: false).
 *
 *   npx ts-node --transpile-only examples/truncated_bptt.ts
 */
import * as tf from '@tensorflow/tfjs';
import { fitTruncatedBPTT, lstm } from '../src/layers'; // the package exports these as layers.*
import { initBackend } from '../src/platform';
import { seededArray } from '../src/seeded';

// ---- config ------------------------------------------------------------------------------------
const BACKEND = 'wasm';
const K = 100; // chunk length: how far back the gradient flows
const H = 32; // LSTM units
const T_TRUNCATED = [1_000, 10_000, 20_000]; // sequence lengths trained in chunks
const T_FULL = [1_000, 2_000, 4_000]; // sequence lengths trained by full BPTT, for comparison
const LR = 0.01;
const WINDOW = 2_000; // steps per tf.profile call (a multiple of K)
// -------------------------------------------------------------------------------------------------

/** x [1, T, 1] and the next values y [1, T, 1] of sin(0.02 t) + 0.5 sin(0.071 t) + noise. */
function series(T: number): { x: tf.Tensor3D; y: tf.Tensor3D } {
  const noise = seededArray(T + 1, 7, -0.05, 0.05);
  const v = Float32Array.from({ length: T + 1 }, (_, t) => Math.sin(0.02 * t) + 0.5 * Math.sin(0.071 * t) + noise[t]);
  return { x: tf.tensor3d(v.subarray(0, T), [1, T, 1]), y: tf.tensor3d(v.subarray(1), [1, T, 1]) };
}

function model(stateful: boolean, T: number): tf.Sequential {
  const shape = stateful ? { stateful: true, batchInputShape: [1, K, 1] } : { inputShape: [T, 1] };
  const m = tf.sequential({
    layers: [
      lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', ...shape, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(LR), loss: 'meanSquaredError' });
  return m;
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);

async function main(): Promise<void> {
  const info = await initBackend(BACKEND);
  console.log(`${info.summary}; LSTM H=${H}, chunks of K=${K}\n`);
  console.log('| training | T | chunks | first loss | last loss | peak tensor MiB | seconds |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [truncated, lengths] of [[true, T_TRUNCATED], [false, T_FULL]] as const) {
    for (const T of lengths) {
      const m = model(truncated, T);
      const { x, y } = series(T);
      const before = tf.memory().numBytes;
      const t0 = performance.now();
      const losses: number[] = [];
      let peak = 0;
      for (let start = 0; start < T; start += truncated ? WINDOW : T) {
        const len = truncated ? Math.min(WINDOW, T - start) : T;
        const [xw, yw] = [tf.slice(x, [0, start, 0], [1, len, 1]), tf.slice(y, [0, start, 0], [1, len, 1])];
        const profile = await tf.profile(async () => {
          if (truncated) losses.push(...(await fitTruncatedBPTT(m, xw, yw, { chunkLength: K, resetStates: start === 0 })));
          else losses.push((await m.trainOnBatch(xw, yw)) as number);
        });
        peak = Math.max(peak, profile.peakBytes - before);
        tf.dispose([xw, yw]);
      }
      const seconds = (performance.now() - t0) / 1000;
      const what = truncated ? `truncated, k=${K}` : 'full BPTT';
      console.log(`| ${what} | ${T} | ${losses.length} | ${losses[0].toFixed(4)} | ${losses[losses.length - 1].toFixed(4)} | ${mib(peak)} | ${seconds.toFixed(1)} |`);
      tf.dispose([x, y]);
      m.optimizer.dispose(); // a model does not dispose an optimizer it was given
      m.dispose();
    }
  }
  console.log(`\nlive tensors at the end: ${tf.memory().numTensors}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
