/**
 * The time-step driver ("scan"): runs any cell (contract.ts) forward over a sequence and back
 * through time. It owns the work around the cell's step math:
 *
 *   forward   P = X · W (+ b) for all T·B rows (one matMul), cut into steps P_t;
 *             states_t = cell.forwardStep(P_t, states_{t−1}) for t = 1..T;
 *             the outputs and the tape assembled from the steps.
 *   backward  the cell's per-step coefficients computed in bulk, cut into steps;
 *             dStates_{t−1} = cell.backwardStep(coefficients_t, dStates_t) for t = T..1;
 *             every declared parameter's gradient over all T·B rows after the loop (finish.ts),
 *             and ∂x = dP·Wᵀ.
 *
 * How tensors are laid out and cut into steps is the backend's arrangement (arrangements.ts); which
 * kernels a step uses is its StepOps (ops.ts). Nothing is read back to the host inside either loop.
 */
import * as tf from '@tensorflow/tfjs';
import type { BulkTape, CellMath, Constants, Params } from './contract';
import { projectionParameter } from './contract';
import { Arrangement, arrangementFor, swapBatchTime, toLayout } from './arrangements';
import { finishGradients } from './finish';
import { matMulTransposeB, project, stepOpsFor } from './ops';
import type { ScanTape } from './tape';

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
  /** By parameter name, for every parameter the tape holds. */
  params: Record<string, tf.Tensor>;
  /** Present when asked for (inputGradients, initialGradients). */
  x?: tf.Tensor3D; // [B, T, D]
  initial?: tf.Tensor2D[]; // [B, H] per state
  state?: tf.Tensor3D; // [B, T, H]
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

/** x ⊙ m for every step: x [B, T, D], m [B, D] (the input dropout mask). */
function maskInput(x: tf.Tensor3D, m: tf.Tensor2D | undefined): tf.Tensor3D {
  return m === undefined ? x : (tf.mul(x, tf.expandDims(m, 1)) as tf.Tensor3D);
}

/** What a forward pass keeps: the tape (for a backward), or only the outputs (inference). */
type Keep = 'tape' | 'sequence' | 'last';

/**
 * The forward loop. keep 'tape': every step's states and saved tensors, assembled; 'sequence': h_t
 * of every step, nothing else; 'last': only the final states (each step's others freed at once).
 */
function forwardLoop(cell: CellMath, x: tf.Tensor3D, params: Params, initial: tf.Tensor2D[], mask: tf.Tensor2D | null, constants: Constants, keep: Keep) {
  const backend = tf.getBackend();
  const ar = arrangementFor(backend);
  const ops = stepOpsFor(backend);
  const [B, T, D] = x.shape;
  const xm = maskInput(x, constants.input);
  const xl = toLayout(xm, ar.layout);
  const run = cell.prepareForward(params, ops, constants);
  const rows = tf.reshape(xl, [B * T, D]) as tf.Tensor2D;
  const P: tf.Tensor2D = run.projectionKernel === null ? (run.projectionBias === null ? rows : tf.add(rows, run.projectionBias)) : project(rows, run.projectionKernel, run.projectionBias); // [B·T, G·H]
  const Pt = ar.steps(tf.reshape(P, [xl.shape[0], xl.shape[1], P.shape[1]]) as tf.Tensor3D, B, T);
  const S = cell.stateNames.length;
  const maskL = mask === null ? null : toLayout(tf.reshape(mask, [B, T, 1]) as tf.Tensor3D, ar.layout); // [·, ·, 1]
  const Mt = maskL === null ? null : ar.steps(maskL, B, T);
  const stepStates: tf.Tensor2D[][] = cell.stateNames.map(() => []);
  const stepSaved: tf.Tensor2D[][] = cell.savedNames.map(() => []);
  let states = initial;
  for (let t = 0; t < T; t++) {
    const previous = states;
    const out = tf.tidy(() => {
      const r = cell.forwardStep(run, Pt(t), previous, ops, constants);
      const next = Mt === null ? r.states : r.states.map((s, k) => carry(Mt(t), s, previous[k]));
      return keep === 'tape' ? [...next, ...r.saved] : next;
    });
    states = out.slice(0, S);
    if (keep === 'tape') {
      states.forEach((s, k) => stepStates[k].push(s));
      out.slice(S).forEach((s, k) => stepSaved[k].push(s));
    } else {
      if (keep === 'sequence') stepStates[0].push(states[0]);
      // What no later step reads and the outputs do not keep is freed now (initial states are the caller's).
      if (t > 0) previous.forEach((s, k) => (k > 0 || keep === 'last') && !states.includes(s) && s.dispose());
    }
  }
  return { ar, xl, maskL, stepStates, stepSaved, states };
}

/**
 * x [B, T, D], params by name (as the cell declares them), initial states [B, H] each, mask [B, T]
 * (1 = step, 0 = skip) or null, per-sequence constants. The caller owns everything returned.
 */
export function scanForward(cell: CellMath, x: tf.Tensor3D, params: Params, initial: tf.Tensor2D[], mask: tf.Tensor2D | null = null, constants: Constants = {}): ScanForwardResult {
  return tidyKeep(() => {
    const { ar, xl, maskL, stepStates, stepSaved, states } = forwardLoop(cell, x, params, initial, mask, constants, 'tape');
    const statesBulk = stepStates.map((steps) => ar.assemble(steps));
    const own = (t: tf.Tensor3D, source: tf.Tensor): tf.Tensor3D => (t === source ? tf.clone(t) : t); // the tape owns its tensors
    const clones = (r: Readonly<Record<string, tf.Tensor>>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, tf.clone(v)]));
    const tape: ScanTape = {
      layout: ar.layout,
      x: own(xl, x),
      initial: initial.map((s) => tf.clone(s)),
      states: statesBulk,
      saved: stepSaved.map((steps) => ar.assemble(steps)),
      mask: maskL === null ? null : own(maskL, mask as tf.Tensor),
      params: clones(params),
      constants: clones(constants) as Record<string, tf.Tensor2D>,
    };
    const sequence = ar.layout === 'batch-major' ? tf.clone(statesBulk[0]) : swapBatchTime(statesBulk[0]);
    return { tape, sequence, last: states.map((s) => tf.clone(s)) };
  });
}

/**
 * The forward pass alone, for when no gradient will be asked (inference): no tape, each step's
 * gate values freed as it ends. The sequence [B, T, H] only when asked for (else null).
 */
export function scanOutputs(cell: CellMath, x: tf.Tensor3D, params: Params, initial: tf.Tensor2D[], mask: tf.Tensor2D | null, constants: Constants, wantSequence: boolean): { sequence: tf.Tensor3D | null; last: tf.Tensor2D[] } {
  return tidyKeep(() => {
    const { ar, stepStates, states } = forwardLoop(cell, x, params, initial, mask, constants, wantSequence ? 'sequence' : 'last');
    const bulk = wantSequence ? ar.assemble(stepStates[0]) : null;
    const sequence = bulk === null ? null : ar.layout === 'batch-major' ? bulk : swapBatchTime(bulk);
    return { sequence, last: states.map((s) => tf.clone(s)) };
  });
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
    timesPerStep(a, c) {
      // A broadcast multiply; time-major as [T, B·K] ⊙ [1, B·K], the form wasm broadcasts fastest
      // (tf.tile of c over time took 6 ms at T50 B32 K64 on wasm, this 0.1 ms: benchmarks/NOTES.md).
      const K = c.shape[1];
      if (ar.layout === 'batch-major') return tf.mul(a, tf.reshape(c, [B, 1, K])) as tf.Tensor3D;
      return tf.reshape(tf.mul(tf.reshape(a, [T, B * K]), tf.reshape(c, [1, B * K])), [T, B, K]) as tf.Tensor3D;
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
  const constants = tape.constants;
  return tidyKeep(() => {
    const [B, T] = tape.layout === 'batch-major' ? tape.x.shape : [tape.x.shape[1], tape.x.shape[0]];
    const D = tape.x.shape[2];
    const H = tape.initial[0].shape[1];
    const bulk = bulkTape(tape, ar, B, T);
    const back = cell.prepareBackward(tape.params, bulk, ops, constants);
    const coefficients = back.coefficients.map((c) => ar.steps(c, B, T));
    const dSeqStep = upstream.dSequence === null ? null : ar.steps(toLayout(upstream.dSequence, ar.layout), B, T);
    const Mt = tape.mask === null ? null : ar.steps(tape.layout === ar.layout ? tape.mask : swapBatchTime(tape.mask), B, T);

    // ∂L/∂states_T: dLast (zeros where absent) + dSequence_T on h.
    let dStates: tf.Tensor2D[] = cell.stateNames.map((_, k) => {
      const parts = [upstream.dLast[k] ?? null, k === 0 && dSeqStep !== null ? dSeqStep(T - 1) : null].filter((p): p is tf.Tensor2D => p !== null);
      if (parts.length === 0) return tf.zeros([B, H]) as tf.Tensor2D;
      return parts.length === 1 ? tf.clone(parts[0]) : (tf.add(parts[0], parts[1]) as tf.Tensor2D);
    });
    const dPs: tf.Tensor2D[] = new Array(T);
    const dRs: tf.Tensor2D[][] = [];
    const own: tf.Tensor2D[][] = (cell.streamNames ?? []).map(() => new Array(T));
    const dhs: tf.Tensor2D[] = new Array(T);
    const perStep: Record<string, tf.Tensor> = {}; // running Σ_t of the steps' own parameter gradients
    for (let t = T - 1; t >= 0; t--) {
      const current = dStates;
      const wantPrevious = t > 0 || initialGradients;
      const out = tf.tidy(() => {
        const coef = coefficients.map((c) => c(t));
        const dSeqPrev = t > 0 && dSeqStep !== null ? dSeqStep(t - 1) : null;
        const m = Mt === null ? null : Mt(t);
        const into = m === null ? current : current.map((d) => tf.mul(d, m) as tf.Tensor2D); // what enters the step
        const r = cell.backwardStep(back, coef, into, dSeqPrev, ops, wantPrevious, constants);
        const prev = m === null || !wantPrevious ? r.dStatesPrevious : r.dStatesPrevious.map((d, k) => tf.add(d, tf.sub(current[k], into[k])) as tf.Tensor2D);
        const sums: Record<string, tf.Tensor> = {};
        for (const [n, g] of Object.entries(r.stepGradients ?? {})) sums[n] = perStep[n] === undefined ? g : tf.add(perStep[n], g);
        return { dP: r.dProjection, dR: r.dRecurrent ?? [], streams: r.streams ?? [], prev, sums } as unknown as tf.TensorContainerObject;
      }) as unknown as { dP: tf.Tensor2D; dR: tf.Tensor2D[]; streams: tf.Tensor2D[]; prev: tf.Tensor2D[]; sums: Record<string, tf.Tensor> };
      for (const [n, g] of Object.entries(out.sums)) {
        perStep[n]?.dispose();
        perStep[n] = g;
      }
      dPs[t] = out.dP;
      out.dR.forEach((d, k) => ((dRs[k] ??= new Array(T))[t] = d));
      out.streams.forEach((d, k) => (own[k][t] = d));
      if (returnState) dhs[t] = current[0];
      // A cell may pass a gradient through unchanged (linear SimpleRNN: dP_t = dh_t): keep those.
      const kept = new Set<tf.Tensor>([out.dP, ...out.dR, ...out.streams, ...out.prev, ...Object.values(out.sums), ...(returnState ? [current[0]] : [])]);
      tf.dispose(current.filter((d) => !kept.has(d)));
      dStates = out.prev;
    }

    const dP3 = ar.assemble(dPs); // [·, ·, G·H]
    const GH = dP3.shape[2];
    const present = cell.parameters.filter((p) => p.name in tape.params);
    const needsOperands = present.some((p) => 'product' in p.finish && p.finish.product === 'recurrent');
    const operands = !needsOperands ? [] : (cell.recurrentOperands?.(bulk, constants) ?? [bulk.previous(0)]);
    const streams = {
      perStep,
      projection: dP3,
      recurrent: dRs.length === 0 ? [dP3] : dRs.map((steps) => ar.assemble(steps)),
      own: Object.fromEntries((cell.streamNames ?? []).map((n, k) => [n, ar.assemble(own[k])])),
    };
    const out: ScanGradients = { params: finishGradients(cell, present, bulk, streams, operands, ar, ops, B, T) };
    if (inputGradients) {
      const W = projectionParameter(cell);
      const dP = tf.reshape(dP3, [B * T, GH]) as tf.Tensor2D;
      const dX = W === null ? dP3 : (tf.reshape(matMulTransposeB(dP, tape.params[W.name] as tf.Tensor2D), [bulk.x.shape[0], bulk.x.shape[1], D]) as tf.Tensor3D);
      out.x = maskInput(toLayout(dX, ar.layout), constants.input); // [B, T, D]
    }
    if (initialGradients) out.initial = dStates;
    if (returnState) out.state = toLayout(ar.assemble(dhs), ar.layout);
    return out;
  });
}
