/**
 * Checks on a recurrent layer's input that the layer makes before the driver runs, so that a bad
 * input is refused with what was expected and given (as the cells refuse it), not deep inside.
 */
import type * as tf from '@tensorflow/tfjs';

/** A sequence of no time steps: the cells refuse it (src/cells/checks.ts); so does every layer. */
export function checkHasTimeSteps(layerName: string, x: tf.Tensor): void {
  if (x.rank === 3 && x.shape[1] === 0) throw new Error(`expected input [batch, time, features] with at least one time step for ${layerName}, got [${x.shape.join(', ')}]`);
}
