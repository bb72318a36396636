/**
 * The optimizer and the state a checkpoint keeps of it and of the model: making and disposing
 * tf.train optimizers, their arrays under names that are the same in every process, and putting
 * a checkpoint's arrays back.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './checkpoint';
import type { OptimizerName } from './config';
import type { RnnModel } from './model';

export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  if (name === 'sgd') return tf.train.sgd(lr);
  if (name === 'momentum') return tf.train.momentum(lr, 0.9);
  return tf.train.adam(lr);
}

/**
 * tfjs 4.22's MomentumOptimizer.dispose() does not call SGDOptimizer.dispose(), so the learning
 * rate scalar `c` it inherits stays alive: we dispose it too.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  if (optimizer instanceof tf.MomentumOptimizer) {
    const c = (optimizer as unknown as { c?: tf.Tensor }).c;
    if (c !== undefined && !c.isDisposed) c.dispose();
  }
}

/**
 * Adam keeps β1^t and β2^t in private variables that setWeights recomputes with pow(); the
 * recomputed values can differ from the running products in the last bit, which would make a
 * resumed run drift. We save and restore them as they are.
 */
const OPTIMIZER_EXTRAS = ['accBeta1', 'accBeta2'];

export async function optimizerExtras(optimizer: tf.Optimizer): Promise<Record<string, number>> {
  const o = optimizer as unknown as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const k of OPTIMIZER_EXTRAS) if (o[k] instanceof tf.Variable) out[k] = (await (o[k] as tf.Variable).data())[0];
  return out;
}

function restoreOptimizerExtras(optimizer: tf.Optimizer, extras: Record<string, number>): void {
  const o = optimizer as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(extras)) {
    if (o[k] instanceof tf.Variable) tf.tidy(() => (o[k] as tf.Variable).assign(tf.scalar(v)));
  }
}

/** The model's weights under their stable names (`lstm/kernel`), copied out of the backend. */
export async function modelArrays(model: RnnModel): Promise<NamedArray[]> {
  const names = model.weightNames;
  const out: NamedArray[] = [];
  for (const [i, v] of model.variables.entries()) {
    out.push({ name: names[i], shape: v.shape, dtype: 'float32', data: Float32Array.from((await v.data()) as Float32Array) });
  }
  return out;
}

/** The optimizer's iteration count and slots, slots named after the model's stable names. */
export async function optimizerArrays(model: RnnModel, optimizer: tf.Optimizer): Promise<NamedArray[]> {
  const names = model.weightNames;
  // Optimizer slots are named after the variables (`lstm/kernel_1/m`): stored under the stable names.
  const stable = new Map(model.variables.map((v, i) => [v.name, names[i]]));
  const stableName = (slot: string): string => {
    const cut = slot.lastIndexOf('/');
    return cut < 0 ? slot : `${stable.get(slot.slice(0, cut)) ?? slot.slice(0, cut)}${slot.slice(cut)}`;
  };
  // getWeights() returns a fresh iteration-count scalar first, then the optimizer's own
  // variables (not copies): only the first is ours to dispose.
  const named = await optimizer.getWeights();
  const out: NamedArray[] = [];
  for (const w of named) {
    const values = await w.tensor.data();
    out.push({
      name: stableName(w.name),
      shape: w.tensor.shape,
      dtype: w.tensor.dtype === 'int32' ? 'int32' : 'float32',
      data: w.tensor.dtype === 'int32' ? Int32Array.from(values as Int32Array) : Float32Array.from(values as Float32Array),
    });
  }
  if (named.length > 0) named[0].tensor.dispose();
  return out;
}

/** Puts checked arrays (see resume.ts checkCheckpointFits) into the model and the optimizer. */
export async function restoreArrays(
  groups: { model: NamedArray[]; optimizer: NamedArray[] },
  extras: Record<string, number>,
  model: RnnModel,
  optimizer: tf.Optimizer,
): Promise<void> {
  const vars = model.variables;
  groups.model.forEach((a, i) => tf.tidy(() => vars[i].assign(tf.tensor(a.data, a.shape))));
  const tensors = groups.optimizer.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape, a.dtype) }));
  await optimizer.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor));
  restoreOptimizerExtras(optimizer, extras);
}
