/**
 * The LSTM (or GRU) forward on wasm against its floor (issue 20). An implementation made of
 * tfjs-wasm's kernels, as tf.layers is, must run per time step the recurrent product h·U and tanh on
 * [B, H] (twice for an LSTM; tfjs-wasm's Tanh is a scalar loop, ~60 µs at [32, 128], ~6× its
 * vectorised Sigmoid), and once the input projection X·W. This times those kernels alone and both
 * layers' predict, interleaved, in one run. Ours runs the LSTM's gate math in one SIMD kernel of its
 * own (src/platform/backend/wasm_lstm_step.ts), so it can go below that floor; with
 * TFJS_RNN_FUSED=0 it runs tfjs-wasm's ops and cannot.
 *
 *   npx ts-node --transpile-only benchmarks/forward_floor.ts [cell B T D H reps]   (default lstm 32 50 64 128 31: S5)
 */
import * as tf from '@tensorflow/tfjs';
import { layers } from '../src';
import { seededTensor } from '../src/testing';
import { initBackend } from './platform';
import { median } from './timing';

async function main(): Promise<void> {
  const [cellArg, ...nums] = process.argv.slice(2);
  const cell = (cellArg ?? 'lstm').toUpperCase();
  const [B, T, D, H, reps] = [32, 50, 64, 128, 31].map((d, k) => (nums[k] === undefined ? d : Number(nums[k])));
  if (cell !== 'LSTM' && cell !== 'GRU') throw new Error(`expected cell lstm or gru, got '${cellArg}'`);
  const info = await initBackend('wasm');
  const G = cell === 'LSTM' ? 4 : 3;
  const tanhPerStep = cell === 'LSTM' ? 2 : 1;
  const args = { units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }) };
  const ours = tf.sequential({ layers: [layers.dropInLayer(cell, args)] });
  const stock = tf.sequential({ layers: [cell === 'LSTM' ? tf.layers.lstm(args as Parameters<typeof tf.layers.lstm>[0]) : tf.layers.gru({ ...args, resetAfter: false } as Parameters<typeof tf.layers.gru>[0])] });
  stock.setWeights(ours.getWeights());
  const x = seededTensor([B, T, D], 3);
  const [X, W, h, U, a] = [seededTensor([B * T, D], 4), seededTensor([D, G * H], 5), seededTensor([B, H], 6), seededTensor([H, G * H], 7), seededTensor([B, H], 8)];
  const timed = (f: () => tf.Tensor) => () => {
    const t0 = performance.now();
    const y = f();
    y.dataSync();
    const ms = performance.now() - t0;
    y.dispose();
    return ms;
  };
  const floor = () => {
    const t0 = performance.now();
    const outs: tf.Tensor[] = [tf.matMul(X, W)];
    for (let t = 0; t < T; t++) {
      outs.push(tf.matMul(h, U));
      for (let k = 0; k < tanhPerStep; k++) outs.push(tf.tanh(a));
    }
    outs[outs.length - 1].dataSync();
    const ms = performance.now() - t0;
    tf.dispose(outs);
    return ms;
  };
  const runs = { ours: timed(() => ours.predict(x, { batchSize: B }) as tf.Tensor), stock: timed(() => stock.predict(x, { batchSize: B }) as tf.Tensor), floor };
  const samples: Record<keyof typeof runs, number[]> = { ours: [], stock: [], floor: [] };
  for (let r = 0; r < 3; r++) for (const f of Object.values(runs)) f();
  for (let r = 0; r < reps; r++) for (const [k, f] of Object.entries(runs)) samples[k as keyof typeof runs].push(f());
  const m = { ours: median(samples.ours), stock: median(samples.stock), floor: median(samples.floor) };
  console.log(`${cell} forward (predict) at B${B} T${T} D${D} H${H} on ${info.summary}; medians of ${reps}, interleaved:`);
  console.log(`  tf.layers ${m.stock.toFixed(1)} ms, tfjs-rnn ${m.ours.toFixed(1)} ms: ${(m.stock / m.ours).toFixed(2)}×`);
  console.log(`  floor of tfjs-wasm's kernels (X·W once; per step h·U and ${tanhPerStep} tf.tanh on [B, H]) ${m.floor.toFixed(1)} ms: tf.layers ÷ floor ${(m.stock / m.floor).toFixed(2)}× (the most an implementation of these kernels can reach)`);
  console.log(`  tfjs-rnn − floor: ${(m.ours - m.floor).toFixed(1)} ms`);
  tf.dispose([x, X, W, h, U, a]);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
