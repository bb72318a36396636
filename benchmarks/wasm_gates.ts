/**
 * Experiment (issue 20, item 2): the LSTM forward gate math on wasm as ONE JavaScript pass over the
 * wasm heap (a kernel like src/scan/split_columns.ts), against the unfused tfjs-wasm ops the cell
 * runs today (split into four, σ three times, tanh twice, three products, one sum). Times one step's
 * gate math at B×H, median of reps, and the relative difference of c_t and h_t between the two.
 *
 *   npx ts-node --transpile-only benchmarks/wasm_gates.ts [B H reps]     (default 64 256 200: S3)
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { TensorInfo, wasmHeapBackend } from '../src/platform/backend/wasm_heap';
import { splitColumns } from '../src/scan/split_columns';
import { seededTensor } from '../src/seeded';
import { median } from './timing';

const KERNEL = 'TfjsRnnLstmGatesJs';

/** c_t, h_t from z [B, 4H] (bias included) and c [B, H]: σ gates, tanh candidate and output. */
function lstmGatesJs(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): TensorInfo[] {
  const z = args.inputs.z as unknown as TensorInfo;
  const c = args.inputs.c as unknown as TensorInfo;
  const backend = wasmHeapBackend(args.backend, KERNEL);
  const [B, H] = c.shape;
  const cOut = backend.makeOutput([B, H], 'float32');
  const hOut = backend.makeOutput([B, H], 'float32');
  // Views after every allocation: growing the heap detaches earlier ones.
  const zv = backend.typedArrayFromHeap(z);
  const cv = backend.typedArrayFromHeap(c);
  const co = backend.typedArrayFromHeap(cOut);
  const ho = backend.typedArrayFromHeap(hOut);
  const sig = (a: number): number => 1 / (1 + Math.exp(-a));
  for (let b = 0; b < B; b++) {
    const zb = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const i = sig(zv[zb + j]);
      const f = sig(zv[zb + H + j]);
      const g = Math.tanh(zv[zb + 2 * H + j]);
      const o = sig(zv[zb + 3 * H + j]);
      const cn = Math.fround(f * cv[b * H + j] + i * g);
      co[b * H + j] = cn;
      ho[b * H + j] = o * Math.tanh(cn);
    }
  }
  return [cOut, hOut];
}

function unfused(z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor[] {
  const [zi, zf, zc, zo] = splitColumns(z, new Array(4).fill(z.shape[1] / 4));
  const cn = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc)));
  return [cn, tf.mul(tf.sigmoid(zo), tf.tanh(cn))];
}

async function timeIt(fn: () => tf.Tensor[], reps: number): Promise<number> {
  const ts: number[] = [];
  for (let r = 0; r < reps + 5; r++) {
    const t0 = performance.now();
    const out = tf.tidy(fn);
    await out[1].data();
    const dt = performance.now() - t0;
    tf.dispose(out);
    if (r >= 5) ts.push(dt);
  }
  return median(ts);
}

async function main(): Promise<void> {
  const [B, H, reps] = process.argv.slice(2).map(Number).concat([64, 256, 200].slice(process.argv.length - 2));
  await initBackend('wasm');
  tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: lstmGatesJs as unknown as tf.KernelFunc });
  const z = seededTensor([B, 4 * H], 1, -3, 3) as tf.Tensor2D;
  const c = seededTensor([B, H], 2) as tf.Tensor2D;
  const js = () => tf.engine().runKernel(KERNEL, { z, c }) as unknown as tf.Tensor[];
  const a = tf.tidy(js);
  const b = tf.tidy(() => unfused(z, c));
  let worst = 0;
  for (let k = 0; k < 2; k++) {
    const [x, y] = [await a[k].data(), await b[k].data()];
    let d = 0;
    let m = 0;
    for (let i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i] - y[i]));
      m = Math.max(m, Math.abs(y[i]));
    }
    worst = Math.max(worst, d / m);
  }
  const tJs = await timeIt(js, reps);
  const tOps = await timeIt(() => unfused(z, c), reps);
  const tAgain = await timeIt(js, reps);
  console.log(`B${B} H${H}: LSTM gate math per step, median of ${reps}: one JS pass ${Math.min(tJs, tAgain).toFixed(3)} ms (${tJs.toFixed(3)}, ${tAgain.toFixed(3)}), tfjs-wasm ops ${tOps.toFixed(3)} ms; c_t, h_t relative difference ${worst.toExponential(2)}`);
  tf.dispose([...a, ...b, z, c]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
