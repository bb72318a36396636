/**
 * The tape: what a forward pass leaves for BPTT, owning its tensors (the input, the states, what the
 * cell saved per step, the constants, and the parameters as they were at forward time, so that an
 * optimizer step in between cannot corrupt the gradient). Its layout as a flat list — what
 * tf.customGrad's save() takes — is written here once: tapeTensors and tapeFromTensors.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layout } from './arrangements';
import type { CellMath, Constants, Params } from './contract';

export interface ScanTape {
  layout: Layout;
  x: tf.Tensor3D; // [B, T, D] or [T, B, D] (with the input mask applied, when there is one)
  initial: tf.Tensor2D[]; // states_0, [B, H] each
  states: tf.Tensor3D[]; // states_1..T per state, [·, ·, H]
  saved: tf.Tensor3D[]; // the cell's saved_1..T
  /** 1 where a step was taken, 0 where it was masked (states carried through), [·, ·, 1]; or null. */
  mask: tf.Tensor3D | null;
  /** The parameters as they were at forward time, by name. */
  params: Params;
  /** The per-sequence constants (dropout masks), by name, [B, K] each. */
  constants: Constants;
}

/** What fixes the flat layout of a tape: the cell, which params and constants it holds, a mask or not. */
export interface TapeShape {
  layout: Layout;
  paramNames: readonly string[];
  constantNames: readonly string[];
  masked: boolean;
}

export function tapeShape(cell: CellMath, tape: ScanTape): TapeShape {
  return {
    layout: tape.layout,
    paramNames: cell.parameters.map((p) => p.name).filter((n) => n in tape.params),
    constantNames: Object.keys(tape.constants),
    masked: tape.mask !== null,
  };
}

/** The tape as one list: x, initial…, states…, saved…, params…, constants…, mask. */
export function tapeTensors(tape: ScanTape, shape: TapeShape): tf.Tensor[] {
  const list: tf.Tensor[] = [tape.x, ...tape.initial, ...tape.states, ...tape.saved];
  shape.paramNames.forEach((n) => list.push(tape.params[n]));
  shape.constantNames.forEach((n) => list.push(tape.constants[n]));
  if (tape.mask !== null) list.push(tape.mask);
  return list;
}

/** The inverse of tapeTensors. */
export function tapeFromTensors(cell: CellMath, list: readonly tf.Tensor[], shape: TapeShape): ScanTape {
  let j = 0;
  const take = (n: number) => list.slice(j, (j += n));
  const S = cell.stateNames.length;
  const x = take(1)[0] as tf.Tensor3D;
  const initial = take(S) as tf.Tensor2D[];
  const states = take(S) as tf.Tensor3D[];
  const saved = take(cell.savedNames.length) as tf.Tensor3D[];
  const params: Record<string, tf.Tensor> = {};
  shape.paramNames.forEach((n) => (params[n] = take(1)[0]));
  const constants: Record<string, tf.Tensor2D> = {};
  shape.constantNames.forEach((n) => (constants[n] = take(1)[0] as tf.Tensor2D));
  const mask = shape.masked ? (take(1)[0] as tf.Tensor3D) : null;
  return { layout: shape.layout, x, initial, states, saved, mask, params, constants };
}

export function disposeTape(tape: ScanTape): void {
  tf.dispose([tape.x, ...tape.initial, ...tape.states, ...tape.saved, ...Object.values(tape.params), ...Object.values(tape.constants)]);
  if (tape.mask !== null) tape.mask.dispose();
}

/**
 * The tape a cell's forward() hands its caller for backward(): call dispose() when done. It knows
 * the cell that made it (backward() refuses a tape from another cell).
 */
export class RNNTape {
  private scan: ScanTape | null;

  constructor(
    scan: ScanTape,
    /** The cell whose forward() made it. */
    readonly owner: object,
    /** Name of that cell, for messages. */
    readonly ownerName: string,
    /** True when the input was one sequence [T, D] rather than a batch [B, T, D]. */
    readonly unbatched: boolean,
    /** [B, T, D] of the forward input (B = 1 when unbatched). */
    readonly inputShape: readonly [number, number, number],
  ) {
    this.scan = scan;
  }

  get isDisposed(): boolean {
    return this.scan === null;
  }

  /** @internal The driver's view. */
  get scanTape(): ScanTape {
    if (this.scan === null) {
      throw new Error('expected a live tape, got a disposed one: run forward() again before backward()');
    }
    return this.scan;
  }

  dispose(): void {
    if (this.scan === null) return;
    disposeTape(this.scan);
    this.scan = null;
  }
}
