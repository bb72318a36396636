/**
 * Where the time of one call goes: tf.profile kernel times summed by kernel name, and the time
 * outside kernels (host reads/uploads, JS), for one implementation, backend and shape.
 *
 *   npx ts-node --transpile-only benchmarks/breakdown.ts --backend wasm --shapes S4 --impls ours
 *   npx ts-node --transpile-only benchmarks/breakdown.ts --cell lstm --backend wasm --shapes S5
 *
 * Takes the flags of `npm run bench` (cli.ts); without --backend, wasm. On cpu and wasm a
 * kernel's time is its wall time including a read of its outputs (tf.profile syncs each output),
 * so the kernel column over-counts slightly; compare rows, not to run.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { seededTensor } from '../src/testing';
import { CELLS, shapesFor } from './cells';
import { parseArgs } from './cli';
import { Impl, makeImpls } from './impls';
import { initBackend } from './platform';

/** Shapes in and out of one kernel call, the list cut short when long. */
function shapesOfCall(k: { inputShapes: number[][]; outputShapes: number[][] }): string {
  const list = (shapes: number[][]): string =>
    shapes.length > 4 ? `${shapes.length} × [${shapes[0]}]` : shapes.map((sh) => `[${sh}]`).join(' ');
  return `${list(k.inputShapes)} → ${list(k.outputShapes)}`;
}

async function profileOne(backend: string, label: string, impl: Impl, x: tf.Tensor): Promise<void> {
  tf.dispose(impl.run(x)); // warm-up
  const t0 = performance.now();
  const info = await tf.profile(() => impl.run(x));
  tf.dispose(info.result as tf.Tensor[]);
  const wall = performance.now() - t0;
  const byName = new Map<string, { n: number; ms: number; shapes: Set<string> }>();
  for (const k of info.kernels) {
    const ms = await k.kernelTimeMs;
    const e = byName.get(k.name) ?? { n: 0, ms: 0, shapes: new Set<string>() };
    e.n += 1;
    e.ms += typeof ms === 'number' ? ms : 0;
    if (e.shapes.size < 4) e.shapes.add(shapesOfCall(k));
    byName.set(k.name, e);
  }
  // op-scope entries (e.g. fusedMatMul__op) wrap kernels already counted: leave them out of the sum
  const inKernels = [...byName.entries()].reduce((a, [k, e]) => a + (tf.getKernel(k, backend) ? e.ms : 0), 0);
  console.log(`\n${label} ${impl.id}: ${wall.toFixed(1)} ms profiled wall, ${inKernels.toFixed(1)} ms in kernels, ` +
    `${(wall - inKernels).toFixed(1)} ms outside (host copies, JS, profiling)`);
  console.log('| kernel | calls | ms | ms per call | shapes (first 4 distinct) |\n|---|---:|---:|---:|---|');
  for (const [name, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`| ${name} | ${e.n} | ${e.ms.toFixed(1)} | ${(e.ms / e.n).toFixed(3)} | ${[...e.shapes].join('; ')} |`);
  }
  // The matMuls by shape, with the rate each runs at (how far the small products fall below the large).
  const byShape = new Map<string, { n: number; ms: number; flop: number }>();
  for (const k of info.kernels) {
    if (k.name !== 'BatchMatMul' || k.inputShapes.length < 2) continue;
    const [a, b] = k.inputShapes;
    const key = `[${a}] x [${b}]`;
    const e = byShape.get(key) ?? { n: 0, ms: 0, flop: 0 };
    const ms = await k.kernelTimeMs;
    e.n += 1;
    e.ms += typeof ms === 'number' ? ms : 0;
    e.flop += 2 * a.slice(0, -1).reduce((p, v) => p * v, 1) * a[a.length - 1] * b[b.length - 1];
    byShape.set(key, e);
  }
  if (byShape.size > 0) {
    console.log('| matMul shape | calls | ms | GFLOP/s |\n|---|---:|---:|---:|');
    for (const [key, e] of [...byShape.entries()].sort((p, q) => q[1].ms - p[1].ms)) console.log(`| ${key} | ${e.n} | ${e.ms.toFixed(1)} | ${(e.flop / e.ms / 1e6).toFixed(1)} |`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  for (const backend of opts.backends ?? ['wasm']) {
    await initBackend(backend);
    for (const cellName of opts.cells) {
      for (const s of shapesFor(cellName, opts.quick, opts.shapes)) {
        const set = makeImpls(CELLS[cellName], s, opts.seed, opts.families.filter((f) => f !== 'torch'));
        const x = seededTensor([s.B, s.T, s.D], opts.seed + 1); // [B, T, D]
        for (const impl of set.impls) await profileOne(backend, `${backend} ${cellName} ${s.name}`, impl, x);
        x.dispose();
        set.dispose();
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
