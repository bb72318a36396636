/**
 * Regularizers and constraints with Keras's semantics, where tf.layers 4.22 drops them for
 * recurrent layers: a cell's weight penalties stay on the cell (never in the model's losses), the
 * activity regularizer is never applied, and constraints only act through setWeights.
 * Ours: the cell's penalties are the layer's losses (so LayersModel.fit adds them to the loss it
 * differentiates); the activity penalty of the last training call is one more; each constrained
 * variable is projected after every assign — an optimizer's update included.
 */
import * as tf from '@tensorflow/tfjs';

type Constraint = { apply(w: tf.Tensor): tf.Tensor };

const projected = new WeakSet<tf.Variable>();

/** Makes every assign to the variable project the new value with the constraint. */
export function projectAfterEveryAssign(v: tf.Variable, c: Constraint): void {
  if (projected.has(v)) return;
  projected.add(v);
  const assign = v.assign.bind(v);
  v.assign = (value: tf.Tensor) => {
    assign(value);
    const p = tf.tidy(() => c.apply(v));
    assign(p);
    p.dispose();
  };
}

/** The constrained variables of a tf.layers cell (LayerVariable keeps its constraint). */
export function constrainCellVariables(cell: tf.layers.Layer): void {
  for (const w of cell.weights) {
    const c = (w as unknown as { constraint: Constraint | null }).constraint;
    if (c != null) projectAfterEveryAssign(w.read() as tf.Variable, c);
  }
}
