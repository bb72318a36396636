/**
 * Micro-measurements behind benchmarks/NOTES.md: the facts the cell's design rests on, re-measured.
 *   - plain matMul GFLOP/s (the roofline) and the transposeA / transposeB variants autodiff uses,
 *     at the shapes of an RNN's input projection, its weight gradients and its recurrent step;
 *   - tf.fused.matMul with a rank-1 and a full [B, H] bias, against matMul + add;
 *   - per-step cost of taking one time step out of a [T, B, H] (and [B, T, H]) tensor:
 *     slice, unstack, split, gather; and of putting T steps back (stack, concat);
 *   - the per-kernel floor: one tiny add / tanh / [B,H]x[H,H] matMul.
 *
 * Run: npx ts-node --transpile-only benchmarks/micro.ts [--backend cpu,wasm] [--reps 7]
 * Prints a markdown report; writes it to micro-<backend>-<date>.md in --out as well (default
 * benchmarks/results/local/, ignored by git; the committed tables are in benchmarks/results/).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { seededTensor } from '../src/testing';
import { DEFAULT_OUT } from './cli';
import { initBackend } from './platform';
import { SHAPES as BENCH_SHAPES, ShapeSpec } from './shapes';
import { median } from './timing';

// ---- config -------------------------------------------------------------------------------------
const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const BACKENDS = flag('backend', 'cpu,wasm').split(',');   // backends to measure
const REPS = Number(flag('reps', '7'));                      // timed repetitions per measurement
const SECTIONS = flag('sections', 'matmul,plumbing,step').split(','); // which tables to measure
const OUT_DIR = flag('out', DEFAULT_OUT);
const SHAPES = { S2: BENCH_SHAPES.S2, S3: BENCH_SHAPES.S3, S4: BENCH_SHAPES.S4 }; // shapes.ts's S2–S4
// -------------------------------------------------------------------------------------------------

const lines: string[] = [];
const say = (s: string): void => { console.log(s); lines.push(s); };

/** Median / min / max milliseconds of fn (which returns a tensor it owns), data() read each time. */
async function timeIt(fn: () => tf.Tensor | tf.Tensor[], reps = REPS, warm = 2): Promise<{ med: number; min: number; max: number }> {
  const ts: number[] = [];
  for (let r = 0; r < warm + reps; r++) {
    const t0 = performance.now();
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    outs[outs.length - 1].dataSync(); // cpu and wasm run kernels synchronously: the last read waits for all
    const dt = performance.now() - t0;
    tf.dispose(outs);
    if (r >= warm) ts.push(dt);
  }
  return { med: median(ts), min: Math.min(...ts), max: Math.max(...ts) };
}

const gf = (flop: number, ms: number): string => (flop / ms / 1e6).toFixed(2);

async function matmuls(backend: string, s: ShapeSpec, name: string): Promise<void> {
  const { B, T, D, H } = s;
  const M = B * T;
  const big = 2 * M * D * H;
  const X = seededTensor([M, D], 1);        // [B*T, D]
  const Xt = tf.transpose(X);               // [D, B*T]
  const W = seededTensor([D, H], 2);        // [D, H]
  const Wt = tf.transpose(W);               // [H, D]
  const dZ = seededTensor([M, H], 3);       // [B*T, H]
  const h = seededTensor([B, H], 4);        // [B, H]
  const ht = tf.transpose(h);               // [H, B]
  const U = seededTensor([H, H], 5);        // [H, H]
  const bias1 = seededTensor([H], 6);       // [H]
  const biasBH = seededTensor([B, H], 7);   // [B, H]
  const small = 2 * B * H * H;
  const reps = backend === 'cpu' && big > 5e8 ? 3 : REPS;
  const row = async (label: string, flop: number, fn: () => tf.Tensor, r = reps): Promise<void> => {
    try {
      const t = await timeIt(fn, r);
      say(`| ${name} | ${label} | ${t.med.toFixed(3)} | ${t.min.toFixed(3)}–${t.max.toFixed(3)} | ${gf(flop, t.med)} |`);
    } catch (e) {
      say(`| ${name} | ${label} | error | | ${(e as Error).message.slice(0, 80)} |`);
    }
  };
  await row(`X·W plain [${M},${D}]x[${D},${H}]`, big, () => tf.matMul(X, W));
  await row(`dW = Xᵀ·dZ transposeA [${M},${D}]ᵀx[${M},${H}]`, big, () => tf.matMul(X, dZ, true, false));
  await row(`dW = transpose(X) then plain [${D},${M}]x[${M},${H}]`, big, () => tf.tidy(() => tf.matMul(tf.transpose(X), dZ)));
  await row(`dW plain on pre-transposed Xᵀ [${D},${M}]x[${M},${H}]`, big, () => tf.matMul(Xt, dZ));
  await row(`dX = dZ·Wᵀ transposeB [${M},${H}]x[${D},${H}]ᵀ`, big, () => tf.matMul(dZ, W, false, true));
  await row(`dX = dZ·transpose(W) plain`, big, () => tf.tidy(() => tf.matMul(dZ, tf.transpose(W))));
  await row(`dX plain on pre-transposed Wᵀ [${M},${H}]x[${H},${D}]`, big, () => tf.matMul(dZ, Wt));
  await row(`h·U plain [${B},${H}]x[${H},${H}]`, small, () => tf.matMul(h, U), REPS);
  await row(`dh·Uᵀ transposeB [${B},${H}]x[${H},${H}]ᵀ`, small, () => tf.matMul(h, U, false, true), REPS);
  await row(`dU = hᵀ·dz transposeA [${B},${H}]ᵀx[${B},${H}]`, small, () => tf.matMul(h, biasBH, true, false), REPS);
  await row(`dU plain on pre-transposed hᵀ [${H},${B}]x[${B},${H}]`, small, () => tf.matMul(ht, biasBH), REPS);
  await row(`fused h·U + b[H] (rank-1 bias)`, small, () => tf.fused.matMul({ a: h, b: U, bias: bias1 }), REPS);
  await row(`fused h·U + xw[B,H] (full bias)`, small, () => tf.fused.matMul({ a: h, b: U, bias: biasBH }), REPS);
  await row(`matMul h·U then add xw[B,H]`, small, () => tf.tidy(() => tf.add(tf.matMul(h, U), biasBH)), REPS);
  await row(`matMul h·U, add xw[B,H], tanh`, small, () => tf.tidy(() => tf.tanh(tf.add(tf.matMul(h, U), biasBH))), REPS);
  await row(`fused h·U + b[H], relu`, small, () => tf.fused.matMul({ a: h, b: U, bias: bias1, activation: 'relu' }), REPS);
  tf.dispose([X, Xt, W, Wt, dZ, h, ht, U, bias1, biasBH]);
}

/** Time one pass of `steps` calls of per-step op, report ms per step. */
async function perStep(s: ShapeSpec, name: string): Promise<void> {
  const { B, T, H } = s;
  const tbh = seededTensor([T, B, H], 8);    // [T, B, H] time-major
  const bth = seededTensor([B, T, H], 9);    // [B, T, H] batch-major
  const tbh2 = tf.reshape(tbh, [T, B * H]);  // [T, B*H]
  const idx = Array.from({ length: T }, (_, t) => tf.scalar(t, 'int32'));
  const idx1 = Array.from({ length: T }, (_, t) => tf.tensor1d([t], 'int32'));
  const steps = T;
  const reps = Math.max(3, Math.min(REPS, 5));
  const row = async (label: string, fn: () => tf.Tensor[]): Promise<void> => {
    try {
      const t = await timeIt(fn, reps, 1);
      say(`| ${name} | ${label} | ${(t.med / steps * 1000).toFixed(1)} | ${(t.min / steps * 1000).toFixed(1)}–${(t.max / steps * 1000).toFixed(1)} | ${t.med.toFixed(2)} |`);
    } catch (e) {
      say(`| ${name} | ${label} | error | | ${(e as Error).message.slice(0, 80)} |`);
    }
  };
  const loop = (f: (t: number) => tf.Tensor): tf.Tensor[] => {
    const out: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) out.push(f(t));
    return out;
  };
  await row(`slice [T,B,H] → step t [1,B,H]`, () => loop((t) => tf.slice(tbh, [t, 0, 0], [1, B, H])));
  await row(`slice [B,T,H] → step t [B,1,H]`, () => loop((t) => tf.slice(bth, [0, t, 0], [B, 1, H])));
  await row(`unstack [T,B,H] (all T, per step)`, () => tf.unstack(tbh));
  await row(`unstack [B,T,H] axis 1 (all T, per step)`, () => tf.unstack(bth, 1));
  await row(`split [T,B,H] into T (per step)`, () => tf.split(tbh, T, 0));
  await row(`gather [T,B,H] scalar index → [B,H]`, () => loop((t) => tf.gather(tbh, idx[t])));
  await row(`gather [T,B*H] index [t] → [1,B*H]`, () => loop((t) => tf.gather(tbh2, idx1[t])));
  await row(`gather [B,T,H] axis 1 scalar → [B,H]`, () => loop((t) => tf.gather(bth, idx[t], 1)));
  const stepsBH = Array.from({ length: T }, (_, t) => seededTensor([B, H], 100 + t)); // T × [B, H]
  await row(`stack T×[B,H] → [T,B,H] (per step)`, () => [tf.stack(stepsBH)]);
  await row(`concat T×[B,H] → [T*B,H] (per step)`, () => [tf.concat(stepsBH)]);
  await row(`stack T×[B,H] axis 1 → [B,T,H] (per step)`, () => [tf.stack(stepsBH, 1)]);
  const a = stepsBH[0];
  const b = stepsBH[1];
  await row(`add [B,H]+[B,H] (kernel floor)`, () => loop(() => tf.add(a, b)));
  await row(`tanh [B,H] (kernel floor)`, () => loop(() => tf.tanh(a)));
  await row(`mul [B,H]*[B,H] (kernel floor)`, () => loop(() => tf.mul(a, b)));
  // gradient of gather needs UnsortedSegmentSum: does it exist here?
  try {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.gather(x, idx[0])))(tbh);
    g.dispose();
    say(`| ${name} | gradient of gather (UnsortedSegmentSum) | works | | |`);
  } catch (e) {
    say(`| ${name} | gradient of gather (UnsortedSegmentSum) | error | | ${(e as Error).message.slice(0, 80)} |`);
  }
  tf.dispose([tbh, bth, tbh2, ...idx, ...idx1, ...stepsBH]);
}

/** One recurrent step done different ways (ms per step), incl. the σ-for-tanh identity that wasm can fuse. */
async function stepVariants(s: ShapeSpec, name: string): Promise<void> {
  const { B, T, D, H } = s;
  const xTBD = seededTensor([T, B, D], 10);            // [T, B, D]
  const pTBH = seededTensor([T, B, H], 11);            // [T, B, H] projected input x·W + b
  const h = seededTensor([B, H], 12, -0.5, 0.5);       // [B, H]
  const U = seededTensor([H, H], 13, -0.1, 0.1);       // [H, H]
  const WU = seededTensor([D + H, H], 14, -0.1, 0.1);  // [D+H, H]
  const b = seededTensor([H], 15);                     // [H]
  const t0 = tf.scalar(T >> 1, 'int32');
  const N = 20;  // steps per timing
  const row = async (label: string, fn: () => tf.Tensor): Promise<void> => {
    try {
      const t = await timeIt(() => { const out: tf.Tensor[] = []; for (let i = 0; i < N; i++) out.push(fn()); return out; }, REPS, 1);
      say(`| ${name} | ${label} | ${(t.med / N * 1000).toFixed(1)} | ${(t.min / N * 1000).toFixed(1)}–${(t.max / N * 1000).toFixed(1)} |`);
    } catch (e) {
      say(`| ${name} | ${label} | error | ${(e as Error).message.slice(0, 80)} |`);
    }
  };
  await row('tanh [B,H]', () => tf.tanh(h));
  await row('sigmoid [B,H]', () => tf.sigmoid(h));
  await row('fused h·U + b, sigmoid', () => tf.fused.matMul({ a: h, b: U, bias: b, activation: 'sigmoid' }));
  await row('fused h·U + b, linear', () => tf.fused.matMul({ a: h, b: U, bias: b }));
  await row('gather x_t from [T,B,D]', () => tf.gather(xTBD, t0));
  await row('gather p_t from [T,B,H]', () => tf.gather(pTBH, t0));
  const tMid = T >> 1;
  const pBTH = seededTensor([B, T, H], 16);            // [B, T, H]
  await row('slice p_t from [T,B,H] (dim-0 slice)', () => tf.slice(pTBH, [tMid, 0, 0], [1, B, H]));
  await row('stridedSlice p_t from [T,B,H], stride 2 on dim 0 (C++ path)', () => tf.stridedSlice(pTBH, [tMid, 0, 0], [tMid + 1, B, H], [2, 1, 1], 0, 0, 0, 0, 1));
  await row('stridedSlice p_t from [B,T,H] axis 1, shrink (C++ path)', () => tf.stridedSlice(pBTH, [0, tMid, 0], [B, tMid + 1, H], [1, 1, 1], 0, 0, 0, 0, 2));
  {
    // read the whole projection to the host once, upload each step: amortised per step over all T
    const t = await timeIt(() => {
      const v = pTBH.dataSync() as Float32Array;
      const out: tf.Tensor[] = [];
      for (let i = 0; i < T; i++) out.push(tf.tensor(v.subarray(i * B * H, (i + 1) * B * H), [B, H]));
      return out;
    }, REPS, 1);
    say(`| ${name} | host: dataSync [T,B,H] once + T × tf.tensor(subarray) (per step, amortised) | ${(t.med / T * 1000).toFixed(1)} | ${(t.min / T * 1000).toFixed(1)}–${(t.max / T * 1000).toFixed(1)} |`);
  }
  pBTH.dispose();
  await row('concat [x_t(B,D), h(B,H)] axis 1', () => tf.tidy(() => tf.concat([tf.gather(xTBD, t0), h], 1)));
  await row('A: tanh(gather(p,t) + h·U)', () => tf.tidy(() => tf.tanh(tf.add(tf.gather(pTBH, t0), tf.matMul(h, U)))));
  await row('B: tanh(fused([gather(x,t), h]·[W;U] + b))', () => tf.tidy(() =>
    tf.tanh(tf.fused.matMul({ a: tf.concat([tf.gather(xTBD, t0), h], 1), b: WU, bias: b }))));
  await row('C: σ(fused([gather(x,t), s]·[2W;4U] + b′))', () => tf.tidy(() =>
    tf.fused.matMul({ a: tf.concat([tf.gather(xTBD, t0), h], 1), b: WU, bias: b, activation: 'sigmoid' })));
  await row('D: tanh(slice(p,t) + h·U)', () => tf.tidy(() => tf.tanh(tf.add(tf.slice(pTBH, [T >> 1, 0, 0], [1, B, H]).reshape([B, H]), tf.matMul(h, U)))));
  tf.dispose([xTBD, pTBH, h, U, WU, b, t0]);
}

async function main(): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  for (const backend of BACKENDS) {
    const info = await initBackend(backend);
    lines.length = 0;
    say(`\n## ${backend} (${info.summary}), tfjs ${tf.version.tfjs}, ${date}\n`);
    say(`### matMul (median ms of ${REPS}, min–max, GFLOP/s at the median)\n`);
    say('| shape | product | ms | min–max | GFLOP/s |');
    say('|---|---|---:|---:|---:|');
    for (const [name, s] of Object.entries(SHAPES)) {
      if (!SECTIONS.includes('matmul')) break;
      if (backend === 'cpu' && name === 'S4') continue; // 3.4 GFLOP per product: seconds each on JS
      await matmuls(backend, s, name);
    }
    say(`\n### per-step tensor plumbing (µs per time step, median; last column: ms for all T)\n`);
    say('| shape | operation | µs/step | min–max | ms total |');
    say('|---|---|---:|---:|---:|');
    for (const name of ['S2', 'S3'] as const) if (SECTIONS.includes('plumbing')) await perStep(SHAPES[name], name);
    say(`\n### one recurrent step, variants (µs per step, median of ${REPS} × 20 steps)\n`);
    say('| shape | variant | µs/step | min–max |');
    say('|---|---|---:|---:|');
    for (const name of ['S2', 'S3', 'S4'] as const) {
      if (!SECTIONS.includes('step')) break;
      if (backend === 'cpu' && name === 'S4') continue;
      await stepVariants(SHAPES[name], name);
    }
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, `micro-${backend}-${date}${SECTIONS.length < 3 ? '-' + SECTIONS.join('+') : ''}.md`), lines.join('\n') + '\n');
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
