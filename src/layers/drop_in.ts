/**
 * Our drop-in layer class of each built-in cell, by the cell's Keras class name: each layer file
 * registers itself here, and the loader, export and the training app look layers up by cell
 * (src/cells/registry.ts) rather than naming them.
 */
import type * as tf from '@tensorflow/tfjs';

interface DropIn {
  /** Our class name ('TfjsRnnLSTM'), as model.json stores it. */
  className: string;
  make(args: Record<string, unknown>): tf.layers.Layer;
}

const byKerasClass = new Map<string, DropIn>();

export function registerDropIn(kerasClass: string, className: string, make: (args: Record<string, unknown>) => tf.layers.Layer): void {
  byKerasClass.set(kerasClass, { className, make });
}

/** Stock (Keras and tf.layers) class names, and our class that replaces each. */
export function dropInClassNames(): ReadonlyMap<string, string> {
  return new Map([...byKerasClass].map(([k, v]) => [k, v.className]));
}

/** Our layer for a Keras class name ('LSTM'), from tf.layers' args. */
export function dropInLayer(kerasClass: string, args: Record<string, unknown>): tf.layers.Layer {
  const d = byKerasClass.get(kerasClass);
  if (d === undefined) throw new Error(`expected a recurrent layer class among ${[...byKerasClass.keys()].join(', ')}, got '${kerasClass}'`);
  return d.make(args);
}
