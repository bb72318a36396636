/**
 * Time to load a Keras file with loadKerasModel: the first load in a process (it compiles h5wasm's
 * WebAssembly) and warm loads after it (median and spread of REPS).
 *
 *   npx ts-node --transpile-only benchmarks/keras_load.ts [file]   (default: the largest shipped file)
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadKerasModel } from '../src/keras/load_keras_model';

const FILE = process.argv[2] ?? path.join(__dirname, '..', '..', 'shared', 'keras_files', 'k3_embedding_maskzero_gru_akshit', 'gru_model.keras'); // 2.2 MB
const WARMUP = 2; // warm loads not timed
const REPS = 15; // timed warm loads

async function loadOnce(): Promise<number> {
  const t0 = performance.now();
  const model = await loadKerasModel(FILE);
  const ms = performance.now() - t0;
  model.dispose();
  return ms;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const first = await loadOnce();
  for (let i = 0; i < WARMUP; i++) await loadOnce();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) times.push(await loadOnce());
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(`${path.basename(FILE)}: first load ${first.toFixed(0)} ms (h5wasm compiled); warm median ${q(0.5).toFixed(1)} ms (p10 ${q(0.1).toFixed(1)}, p90 ${q(0.9).toFixed(1)}, ${REPS} reps)`);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
