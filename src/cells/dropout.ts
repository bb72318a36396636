/**
 * Recurrent dropout inside a step: the mask m [B, H] (the per-sequence constant `recurrent`, drawn
 * once per batch and fixed across time steps) multiplies h_{t−1} where it enters a recurrent
 * product, as Keras does: R = (h_{t−1} ⊙ m) · U, so ∂h_{t−1} gets (dR · Uᵀ) ⊙ m and ∂U sums
 * (h_{t−1} ⊙ m)ᵀ · dR. Without the constant each helper is the plain form.
 */
import * as tf from '@tensorflow/tfjs';
import type { BulkTape, Constants } from '../scan/contract';
import type { StepOps } from '../scan/ops';

/** h ⊙ m, or h without recurrent dropout. */
export function maskedPrevious(h: tf.Tensor2D, constants: Constants): tf.Tensor2D {
  const m = constants.recurrent;
  return m === undefined ? h : (tf.mul(h, m) as tf.Tensor2D);
}

/** (dR · Uᵀ) ⊙ m + add: the gradient reaching h_{t−1} through the recurrent product (add may be null). */
export function recurrentThroughMask(ops: StepOps, dR: tf.Tensor2D, Ut: tf.Tensor2D, add: tf.Tensor | null, constants: Constants): tf.Tensor2D {
  const m = constants.recurrent;
  if (m === undefined) return ops.matMulAdd(dR, Ut, add);
  const g = tf.mul(tf.matMul(dR, Ut), m);
  return (add === null ? g : tf.add(g, add)) as tf.Tensor2D;
}

/** The operand of ∂U over all steps: h_{t−1} ⊙ m, [·, ·, H]. */
export function maskedRecurrent(tape: BulkTape, constants: Constants): tf.Tensor3D[] {
  const h = tape.previous(0);
  const m = constants.recurrent;
  return [m === undefined ? h : tape.timesPerStep(h, m)];
}
