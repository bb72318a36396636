/**
 * The parameter-gradient finish after the BPTT loop: each parameter a cell declares gets its
 * gradient from sums over all T·B rows (contract.ts), formed as the backend sums long rows best
 * (ops.ts): Xᵀ·dP, Σ operand_kᵀ·dR_k, or Σ_rows of per-step streams.
 */
import * as tf from '@tensorflow/tfjs';
import type { Arrangement } from './arrangements';
import type { BulkTape, CellMath, ParameterSpec } from './contract';
import { StepOps, blockSteps, columnSums, matMulTransposeA } from './ops';

/** The per-step gradients of a BPTT loop, assembled over all steps, [·, ·, K] each. */
export interface AssembledStreams {
  projection: tf.Tensor3D; // dP  [·, ·, G·H]
  /** dR per recurrent operand (dP itself when the cell gives none). */
  recurrent: tf.Tensor3D[];
  /** The cell's own streams, by name. */
  own: Readonly<Record<string, tf.Tensor3D>>;
  /** Σ_t of the steps' own gradients of { perStep: true } parameters, by name. */
  perStep: Readonly<Record<string, tf.Tensor>>;
}

/** Σ over all rows of aᵀ·b and of b, in the backend's way. */
function rowSummer(ar: Arrangement, ops: StepOps, B: number, T: number) {
  const rows = (m: tf.Tensor3D): tf.Tensor2D => tf.reshape(m, [B * T, m.shape[2]]) as tf.Tensor2D;
  const sumsOver = ops.rowSums;
  const product = (a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor2D => {
    if (sumsOver.kind === 'per-step') return tf.sum(tf.matMul(a, b, true, false), 0) as tf.Tensor2D; // Σ_t a_tᵀ·b_t
    if (sumsOver.kind === 'single') return matMulTransposeA(rows(a), rows(b));
    const r = B * blockSteps(B, T); // whole steps
    const bb = ar.rowBlocks(b, r, false);
    const products = ar.rowBlocks(a, r, true).map((aT, i) => tf.matMul(aT, bb[i]) as tf.Tensor2D);
    return products.length === 1 ? products[0] : (tf.addN(products) as tf.Tensor2D);
  };
  const column = (b: tf.Tensor3D): tf.Tensor1D => {
    if (sumsOver.kind === 'per-step') return tf.sum(b, [0, 1]) as tf.Tensor1D;
    if (sumsOver.kind === 'blocks' && ar.columnSums !== undefined) return ar.columnSums(b);
    return columnSums(rows(b));
  };
  return { product, column };
}

/** The gradient of every parameter in `present`, by name, in its declared shape. */
export function finishGradients(
  cell: CellMath,
  present: readonly ParameterSpec[],
  bulk: BulkTape,
  streams: AssembledStreams,
  operands: tf.Tensor3D[],
  ar: Arrangement,
  ops: StepOps,
  B: number,
  T: number,
): Record<string, tf.Tensor> {
  const sum = rowSummer(ar, ops, B, T);
  const D = bulk.x.shape[2];
  const H = bulk.initial[0].shape[1];
  const stream = (name: string): tf.Tensor1D => {
    if (name === 'projection') return sum.column(streams.projection);
    if (name === 'recurrent') return streams.recurrent.length === 1 ? sum.column(streams.recurrent[0]) : (tf.concat(streams.recurrent.map(sum.column)) as tf.Tensor1D);
    const own = streams.own[name];
    if (own === undefined) throw new Error(`expected ${cell.name}'s backwardStep to give the stream '${name}', got streams ${Object.keys(streams.own).join(', ') || '(none)'}`);
    return sum.column(own);
  };
  const out: Record<string, tf.Tensor> = {};
  for (const p of present) {
    let g: tf.Tensor;
    if ('perStep' in p.finish) {
      const g0 = streams.perStep[p.name];
      if (g0 === undefined) throw new Error(`expected ${cell.name}'s backwardStep to give stepGradients.${p.name}, got none`);
      g = g0;
    } else if ('sum' in p.finish) {
      const parts = p.finish.sum.map(stream);
      g = parts.length === 1 ? parts[0] : tf.stack(parts);
    } else if (p.finish.product === 'input') {
      g = sum.product(bulk.x, streams.projection); // [D, G·H]
    } else {
      const dUs = operands.map((o, k) => sum.product(o, streams.recurrent[k])); // [H, columns]
      g = dUs.length === 1 ? dUs[0] : tf.concat(dUs, 1);
    }
    out[p.name] = tf.reshape(g, p.shape(D, H));
  }
  return out;
}
