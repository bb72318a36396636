/**
 * The time-step driver ("scan"): runs any cell (src/cells/cell.ts) forward over a sequence and back
 * through time. It owns the work around the cell's step math:
 *
 *   forward   P = X · W (+ b) for all T·B rows (one matMul), cut into steps P_t;
 *             states_t = cell.forwardStep(P_t, states_{t−1}) for t = 1..T;
 *             the outputs and the tape assembled from the steps.
 *   backward  the cell's per-step coefficients computed in bulk, cut into steps;
 *             dStates_{t−1} = cell.backwardStep(coefficients_t, dStates_t) for t = T..1;
 *             ∂W = Xᵀ·dP, ∂U = operandᵀ·dR, ∂b = Σ dP (and Σ dR), ∂x = dP·Wᵀ, over all T·B rows
 *             after the loop (the sums formed as the backend sums long rows best: ops.ts).
 *
 * How tensors are laid out and cut into steps is the backend's arrangement (arrangements.ts); which
 * kernels a step uses is its StepOps (ops.ts). Nothing is read back to the host inside either loop.
 */
import * as tf from '@tensorflow/tfjs';
import type { BulkTape, CellMath, CellWeights, RecurrentOperand } from '../cells/cell';
import { Arrangement, Layout, arrangementFor, swapBatchTime, toLayout } from './arrangements';
import { blockSteps, columnSums, matMulTransposeA, matMulTransposeB, project, stepOpsFor } from './ops';

/** What one forward pass leaves for BPTT (owning its tensors), in the arrangement's layout. */
export interface ScanTape {
  layout: Layout;
  x: tf.Tensor3D; // [B, T, D] or [T, B, D]
  initial: tf.Tensor2D[]; // states_0, [B, H] each
  states: tf.Tensor3D[]; // states_1..T per state, [·, ·, H]
  saved: tf.Tensor3D[]; // the cell's saved_1..T
  /** 1 where a step was taken, 0 where it was masked (states carried through), [·, ·, 1]; or null. */
  mask: tf.Tensor3D | null;
  /** The weights as they were at forward time, so an optimizer step in between cannot corrupt BPTT. */
  weights: CellWeights;
}

export interface ScanForwardResult {
  tape: ScanTape;
  sequence: tf.Tensor3D; // h_1..h_T  [B, T, H]
  /** states_T, [B, H] each (h_T first). */
  last: tf.Tensor2D[];
}

export interface ScanUpstream {
  /** ∂L/∂sequence [B, T, H], or null. */
  dSequence: tf.Tensor3D | null;
  /** ∂L/∂states_T per state ([B, H] or null each). */
  dLast: Array<tf.Tensor2D | null>;
}

export interface ScanBackwardOptions {
  /** Compute ∂x (skipped by weight-gradient-only training steps). Default true. */
  inputGradients?: boolean;
  /** Compute ∂states_0. Default: as inputGradients. */
  initialGradients?: boolean;
  /** Also return ∂L/∂h_t for every t, [B, T, H]. */
  returnStateGradients?: boolean;
}

export interface ScanGradients {
  kernel: tf.Tensor2D; // [D, G·H]
  recurrentKernel: tf.Tensor2D; // [H, G·H]
  bias: tf.Tensor | null;
  /** Present when asked for (inputGradients, initialGradients). */
  x?: tf.Tensor3D; // [B, T, D]
  initial?: tf.Tensor2D[]; // [B, H] per state
  state?: tf.Tensor3D; // [B, T, H]
}

function cloneWeights(w: CellWeights): CellWeights {
  return { kernel: tf.clone(w.kernel), recurrentKernel: tf.clone(w.recurrentKernel), bias: w.bias === null ? null : tf.clone(w.bias) };
}

export function disposeTape(tape: ScanTape): void {
  const w = tape.weights;
  tf.dispose([tape.x, ...tape.initial, ...tape.states, ...tape.saved, w.kernel, w.recurrentKernel]);
  if (w.bias !== null) w.bias.dispose();
  if (tape.mask !== null) tape.mask.dispose();
}

/** Runs fn in a tidy that keeps (and returns) a structure of tensors. */
function tidyKeep<O>(fn: () => O): O {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as O;
}

/**
 * Where mask_t = 0 the step is skipped: every state (and so the output, h) carries through,
 * states_t = states_{t−1} + mask_t ⊙ (new_t − states_{t−1}), as tf.layers does; the backward then
 * sends mask_t ⊙ dStates_t into the step and the rest straight to states_{t−1}.
 */
function carry(m: tf.Tensor2D, next: tf.Tensor2D, previous: tf.Tensor2D): tf.Tensor2D {
  return tf.add(previous, tf.mul(m, tf.sub(next, previous))) as tf.Tensor2D;
}

/**
 * x [B, T, D], initial states [B, H] each, mask [B, T] (1 = step, 0 = skip) or null. The caller
 * owns everything returned.
 */
export function scanForward(
  cell: CellMath,
  x: tf.Tensor3D,
  w: CellWeights,
  initial: tf.Tensor2D[],
  mask: tf.Tensor2D | null = null,
): ScanForwardResult {
  const backend = tf.getBackend();
  const ar = arrangementFor(backend);
  const ops = stepOpsFor(backend);
  return tidyKeep(() => {
    const [B, T, D] = x.shape;
    const xl = toLayout(x, ar.layout);
    const run = cell.prepareForward(w, ops);
    const GH = run.projectionKernel.shape[1];
    const P = project(tf.reshape(xl, [B * T, D]) as tf.Tensor2D, run.projectionKernel, run.projectionBias); // [B·T, G·H]
    const Pt = ar.steps(tf.reshape(P, [xl.shape[0], xl.shape[1], GH]) as tf.Tensor3D, B, T);
    const S = cell.stateNames.length;
    const maskL = mask === null ? null : toLayout(tf.reshape(mask, [B, T, 1]) as tf.Tensor3D, ar.layout); // [·, ·, 1]
    const Mt = maskL === null ? null : ar.steps(maskL, B, T);
    const stepStates: tf.Tensor2D[][] = cell.stateNames.map(() => []);
    const stepSaved: tf.Tensor2D[][] = cell.savedNames.map(() => []);
    let states = initial;
    for (let t = 0; t < T; t++) {
      const previous = states;
      const out = tf.tidy(() => {
        const r = cell.forwardStep(run, Pt(t), previous, ops);
        const next = Mt === null ? r.states : r.states.map((s, k) => carry(Mt(t), s, previous[k]));
        return [...next, ...r.saved];
      });
      states = out.slice(0, S);
      states.forEach((s, k) => stepStates[k].push(s));
      out.slice(S).forEach((s, k) => stepSaved[k].push(s));
    }
    const statesBulk = stepStates.map((steps) => ar.assemble(steps));
    const tape: ScanTape = {
      layout: ar.layout,
      x: ar.layout === 'batch-major' ? tf.clone(x) : xl,
      initial: initial.map((s) => tf.clone(s)),
      states: statesBulk,
      saved: stepSaved.map((steps) => ar.assemble(steps)),
      mask: maskL === null ? null : ar.layout === 'batch-major' ? tf.clone(maskL) : maskL,
      weights: cloneWeights(w),
    };
    const sequence = ar.layout === 'batch-major' ? tf.clone(statesBulk[0]) : swapBatchTime(statesBulk[0]);
    return { tape, sequence, last: states.map((s) => tf.clone(s)) };
  });
}

/** The tape's mask in this backend's layout. */
function relayoutMask(tape: ScanTape, ar: Arrangement): tf.Tensor3D {
  const m = tape.mask as tf.Tensor3D;
  return tape.layout === ar.layout ? m : swapBatchTime(m);
}

/** The tape as the driver's backward sees it, in this backend's layout. */
function bulkTape(tape: ScanTape, ar: Arrangement, B: number, T: number): BulkTape {
  const relayout = (t: tf.Tensor3D): tf.Tensor3D => (tape.layout === ar.layout ? t : swapBatchTime(t));
  const states = tape.states.map(relayout);
  const previous = new Map<number, tf.Tensor3D>();
  return {
    layout: ar.layout,
    x: relayout(tape.x),
    initial: tape.initial,
    states,
    saved: tape.saved.map(relayout),
    previous(k) {
      let p = previous.get(k);
      if (p === undefined) {
        p = ar.previous(states[k], tape.initial[k], B, T);
        previous.set(k, p);
      }
      return p;
    },
  };
}

/** BPTT from a tape (made on any backend). dSequence and dLast may not all be null. */
export function scanBackward(cell: CellMath, tape: ScanTape, upstream: ScanUpstream, options: ScanBackwardOptions = {}): ScanGradients {
  const inputGradients = options.inputGradients ?? true;
  const initialGradients = options.initialGradients ?? inputGradients;
  const returnState = options.returnStateGradients === true;
  const backend = tf.getBackend();
  const ar = arrangementFor(backend);
  const ops = stepOpsFor(backend);
  return tidyKeep(() => {
    const [B, T] = tape.layout === 'batch-major' ? tape.x.shape : [tape.x.shape[1], tape.x.shape[0]];
    const D = tape.x.shape[2];
    const H = tape.weights.recurrentKernel.shape[0];
    const GH = tape.weights.kernel.shape[1];
    const bulk = bulkTape(tape, ar, B, T);
    const back = cell.prepareBackward(tape.weights, bulk, ops);
    const coefficients = back.coefficients.map((c) => ar.steps(c, B, T));
    const dSeqStep = upstream.dSequence === null ? null : ar.steps(toLayout(upstream.dSequence, ar.layout), B, T);
    const Mt = tape.mask === null ? null : ar.steps(relayoutMask(tape, ar), B, T);

    // ∂L/∂states_T: dLast (zeros where absent) + dSequence_T on h.
    let dStates: tf.Tensor2D[] = cell.stateNames.map((_, k) => {
      const parts = [upstream.dLast[k] ?? null, k === 0 && dSeqStep !== null ? dSeqStep(T - 1) : null].filter(
        (p): p is tf.Tensor2D => p !== null,
      );
      if (parts.length === 0) return tf.zeros([B, H]) as tf.Tensor2D;
      return parts.length === 1 ? tf.clone(parts[0]) : (tf.add(parts[0], parts[1]) as tf.Tensor2D);
    });
    const dPs: tf.Tensor2D[] = new Array(T);
    const dRs: tf.Tensor2D[][] = [];
    const dhs: tf.Tensor2D[] = new Array(T);
    for (let t = T - 1; t >= 0; t--) {
      const current = dStates;
      const wantPrevious = t > 0 || initialGradients;
      const out = tf.tidy(() => {
        const coef = coefficients.map((c) => c(t));
        const dSeqPrev = t > 0 && dSeqStep !== null ? dSeqStep(t - 1) : null;
        const m = Mt === null ? null : Mt(t);
        const into = m === null ? current : current.map((d) => tf.mul(d, m) as tf.Tensor2D); // what enters the step
        const r = cell.backwardStep(back, coef, into, dSeqPrev, ops, wantPrevious);
        const prev = m === null || !wantPrevious ? r.dStatesPrevious : r.dStatesPrevious.map((d, k) => tf.add(d, tf.sub(current[k], into[k])) as tf.Tensor2D);
        return { dP: r.dProjection, dR: r.dRecurrent ?? [], prev } as unknown as tf.TensorContainerObject;
      }) as unknown as { dP: tf.Tensor2D; dR: tf.Tensor2D[]; prev: tf.Tensor2D[] };
      dPs[t] = out.dP;
      out.dR.forEach((d, k) => {
        (dRs[k] ??= new Array(T))[t] = d;
      });
      if (returnState) dhs[t] = current[0];
      // A cell may pass a gradient through unchanged (linear SimpleRNN: dP_t = dh_t): keep those.
      const kept = new Set<tf.Tensor>([out.dP, ...out.dR, ...out.prev, ...(returnState ? [current[0]] : [])]);
      tf.dispose(current.filter((d) => !kept.has(d)));
      dStates = out.prev;
    }

    const rows = (m: tf.Tensor3D): tf.Tensor2D => tf.reshape(m, [B * T, m.shape[2]]) as tf.Tensor2D;
    const dP3 = ar.assemble(dPs); // [·, ·, G·H]
    const dP = rows(dP3); // [B·T, G·H]
    const operands: RecurrentOperand[] = cell.recurrentOperands?.(bulk) ?? [{ operand: bulk.previous(0), columns: [0, GH] }];
    const dR3 = dRs.length === 0 ? [dP3] : dRs.map((steps) => ar.assemble(steps));
    // Σ over all T·B rows of aᵀ·b and of b, formed as the backend sums long rows best (ops.ts).
    const sumsOver = ops.rowSums;
    const productSum = (a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor2D => {
      if (sumsOver.kind === 'per-step') return tf.sum(tf.matMul(a, b, true, false), 0) as tf.Tensor2D; // Σ_t a_tᵀ·b_t
      if (sumsOver.kind === 'single') return matMulTransposeA(rows(a), rows(b));
      const r = B * blockSteps(B, T); // whole steps
      const bb = ar.rowBlocks(b, r, false);
      const products = ar.rowBlocks(a, r, true).map((aT, i) => tf.matMul(aT, bb[i]) as tf.Tensor2D);
      return products.length === 1 ? products[0] : (tf.addN(products) as tf.Tensor2D);
    };
    const columnSum = (b: tf.Tensor3D): tf.Tensor1D => {
      if (sumsOver.kind === 'per-step') return tf.sum(b, [0, 1]) as tf.Tensor1D;
      if (sumsOver.kind === 'blocks' && ar.columnSums !== undefined) return ar.columnSums(b);
      return columnSums(rows(b));
    };
    const dUs = operands.map((o, k) => productSum(o.operand, dR3[k])); // [H, columns]
    const sums = {
      kernel: productSum(bulk.x, dP3), // [D, G·H]
      recurrentKernel: dUs.length === 1 ? dUs[0] : (tf.concat(dUs, 1) as tf.Tensor2D), // [H, G·H]
      projectionBias: columnSum(dP3), // [G·H]
      recurrentBias: !cell.recurrentBias ? null : dR3.length === 1 ? columnSum(dR3[0]) : (tf.concat(dR3.map(columnSum)) as tf.Tensor1D),
    };
    const out: ScanGradients = {
      kernel: sums.kernel,
      recurrentKernel: sums.recurrentKernel,
      bias: cell.biasGradient(sums, tape.weights.bias !== null),
    };
    if (inputGradients) {
      const dX = tf.reshape(matMulTransposeB(dP, tape.weights.kernel), [bulk.x.shape[0], bulk.x.shape[1], D]) as tf.Tensor3D;
      out.x = toLayout(dX, ar.layout); // [B, T, D]
    }
    if (initialGradients) out.initial = dStates;
    if (returnState) out.state = toLayout(ar.assemble(dhs), ar.layout);
    return out;
  });
}
