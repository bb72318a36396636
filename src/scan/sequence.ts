/**
 * Which engine runs a differentiable call (differentiable.ts): the cell's own whole-sequence engine
 * when its math offers one for this call (CellMath.sequenceEngine: the built-in cells' fused WebGPU
 * kernels) and the switch allows it; else the driver's step loop, scanForward / scanBackward, with
 * the tape flattened as tape.ts lays it out.
 *
 * The switch is the tf.env() flag TFJS_RNN_FUSED: true by default, false where the environment
 * variable TFJS_RNN_FUSED=0 is set at start; tf.env().set('TFJS_RNN_FUSED', false) turns the fused
 * path off from code (for comparisons and benchmarks). Off, every call runs the step loop.
 */
import * as tf from '@tensorflow/tfjs';
import type { CellMath, Constants, SequenceEngine, SequenceGradients, SequenceUpstream, SequenceWants } from './contract';
import { scanBackward, scanForward } from './scan';
import { TapeShape, tapeFromTensors, tapeShape, tapeTensors } from './tape';

/** The tf.env() flag of the fused path. */
export const FUSED_FLAG = 'TFJS_RNN_FUSED';

function registerSwitch(): void {
  const registry = (tf.env() as unknown as { flagRegistry: Record<string, unknown> }).flagRegistry;
  if (registry[FUSED_FLAG] !== undefined) return;
  tf.env().registerFlag(FUSED_FLAG, () => typeof process === 'undefined' || process.env?.TFJS_RNN_FUSED !== '0');
}
registerSwitch();

/** The name of the driver's step loop as an engine. */
export const SCAN_ENGINE = 'scan';

/** The driver's step loop as an engine, for one call of `cell` with these constants. */
export function scanEngine(cell: CellMath, constants: Constants): SequenceEngine {
  let shape: TapeShape | null = null;
  return {
    name: SCAN_ENGINE,
    forward(x, params, initial, mask) {
      const r = scanForward(cell, x, params, initial, mask, constants);
      shape = tapeShape(cell, r.tape);
      return { sequence: r.sequence, last: r.last, saved: tapeTensors(r.tape, shape) };
    },
    backward(saved, upstream, wants) {
      if (shape === null) throw new Error(`expected ${cell.name}'s forward before its backward, got none`);
      const tape = tapeFromTensors(cell, saved, shape);
      return scanBackward(cell, tape, upstream, { inputGradients: wants.input, initialGradients: wants.initial });
    },
  };
}

/** The engine of one differentiable call: the cell's own when it has one for this call and the switch is on. */
export function engineFor(cell: CellMath, masked: boolean, constants: Constants): SequenceEngine {
  const own = tf.env().getBool(FUSED_FLAG) ? (cell.sequenceEngine?.({ backend: tf.getBackend(), constantNames: Object.keys(constants), masked }) ?? null) : null;
  return own ?? scanEngine(cell, constants);
}

/** One BPTT of a differentiable call, on the engine that ran its forward (one place that every backward passes). */
export function backwardThroughTime(engine: SequenceEngine, saved: readonly tf.Tensor[], upstream: SequenceUpstream, wants: SequenceWants): SequenceGradients {
  return engine.backward(saved, upstream, wants);
}
