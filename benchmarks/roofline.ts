/**
 * The plain-matMul roofline of a shape on the active backend, measured in the same run as the
 * implementations it is compared with.
 */
import * as tf from '@tensorflow/tfjs';
import { seededTensor } from '../src/testing';
import type { ShapeSpec } from './shapes';
import { bestMs } from './timing';
import type { MatmulCeiling } from './types';

/**
 * The cell's two products for shape s, [B·T, D]x[D, G·H] and T × [B, H]x[H, G·H] (G gate blocks),
 * no transpose flags, best of several calls. Work is capped at flopCap (fewer rows / calls) so a
 * slow backend measures in seconds; the times are scaled back to the full shape.
 */
export async function matmulCeiling(s: ShapeSpec, G: number, flopCap: number): Promise<MatmulCeiling> {
  const { B, T, D, H } = s;
  const N = G * H;
  const rows = Math.max(1, Math.min(B * T, Math.ceil(flopCap / (2 * D * N))));
  const calls = Math.max(1, Math.min(T, Math.ceil(flopCap / (2 * B * H * N))));
  const X = seededTensor([rows, D], 91); // [rows, D]
  const W = seededTensor([D, N], 92); // [D, G·H]
  const h = seededTensor([B, H], 93); // [B, H]
  const U = seededTensor([H, N], 94); // [H, G·H]
  const projMs = await bestMs(() => [tf.matMul(X, W)]);
  const recMs = await bestMs(() => Array.from({ length: calls }, () => tf.matMul(h, U)));
  tf.dispose([X, W, h, U]);
  const recPerCall = recMs / calls;
  const projection = { rows, ms: projMs, gflops: (2 * rows * D * N) / projMs / 1e6 };
  const recurrent = { calls, msPerCall: recPerCall, gflops: (2 * B * H * N) / recPerCall / 1e6 };
  return { projection, recurrent, gflops: Math.max(projection.gflops, recurrent.gflops) };
}

/** The better of two ceiling measurements, component by component (noise only ever slows). */
export function bestCeiling(a: MatmulCeiling, b: MatmulCeiling): MatmulCeiling {
  const projection = a.projection.gflops >= b.projection.gflops ? a.projection : b.projection;
  const recurrent = a.recurrent.gflops >= b.recurrent.gflops ? a.recurrent : b.recurrent;
  return { projection, recurrent, gflops: Math.max(projection.gflops, recurrent.gflops), measuredGflops: [a.gflops, b.gflops] };
}
