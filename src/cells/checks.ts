/**
 * Argument checks shared by every cell and by the layout converters. Each error says what was
 * expected and what was given: `expected input [batch, time, 10], got [8, 2, 12]`.
 *
 * Checked on every call, from shapes and flags alone (no read of tensor data, so no GPU sync):
 * that tensors are live tf.Tensors (not disposed, not plain arrays) of dtype float32 and the
 * expected shape; that option and upstream objects are objects with known keys (a misspelt key
 * would otherwise be dropped silently) and their flags booleans; that a cell is not disposed (by
 * dispose(), or its variables by tf.disposeVariables()) and a tape comes from the cell given it.
 *
 * Not checked, and why:
 * - NaN and ±Infinity in inputs, initial states, upstream gradients, masks and the weights of the
 *   functional entry points: finding them means reading every tensor back to the CPU, one sync
 *   per call (per training step), and webgpu under Node has no synchronous read at all. They
 *   propagate to the outputs, where a loss shows them. setWeights, which is called rarely, does
 *   check its weights (checkFinite) on every backend that can read synchronously.
 * - A mask's values (0 or 1 expected): the same read.
 * - Whether a shape that passes the element limit fits in memory: the allocation's own error
 *   surfaces, and a cell's constructor disposes what it had made before rethrowing.
 * - Tensors made by another copy of tfjs-core: they fail `instanceof tf.Tensor` and are refused as
 *   "an object (Tensor)" (the layout converters, which only read them, accept them).
 */
import * as tf from '@tensorflow/tfjs';

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** How a value that is not what we wanted reads in a message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `a plain array (length ${v.length})`;
  if (v instanceof tf.Tensor) return v.isDisposed ? 'a disposed tensor' : `a tensor ${fmt(v.shape)}`;
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return String(v);
}

export function checkPositiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`expected ${name} to be a positive integer, got ${describe(v)}`);
  }
  return v;
}

export function checkBoolean(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`expected ${name} to be true or false, got ${describe(v)}`);
  return v;
}

export function checkOneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new Error(`expected ${name} to be one of ${allowed.join(', ')}, got ${describe(v)}`);
  return v as T;
}

/**
 * An object of options or gradients: undefined or null is `{}` when `optional`; a key outside
 * `keys` is refused (it would be ignored, e.g. `dlast` for `dLast`). `expected` is how the object
 * reads in a message, e.g. `{ dSequence?, dLast? }`.
 */
export function checkFields(what: string, v: unknown, keys: readonly string[], expected: string, optional = false): Record<string, unknown> {
  if (v == null && optional) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof tf.Tensor) {
    throw new Error(`expected ${what} ${expected}, got ${describe(v)}`);
  }
  const unknown = Object.keys(v).filter((k) => !keys.includes(k));
  if (unknown.length > 0) {
    throw new Error(`expected ${what} ${expected}, got ${unknown.length === 1 ? 'an unknown key' : 'unknown keys'} ${unknown.map((k) => `'${k}'`).join(', ')}`);
  }
  return v as Record<string, unknown>;
}

/** How an object with these keys reads in a message: `{ kernel, recurrentKernel, bias? }`. */
export function fieldsText(required: readonly string[], optional: readonly string[]): string {
  return `{ ${[...required, ...optional.map((k) => `${k}?`)].join(', ')} }`;
}

/** A list of at most `names.length` entries (initial states [h0, c0]); undefined or null is []. */
export function checkList(what: string, v: unknown, names: readonly string[]): unknown[] {
  if (v == null) return [];
  const expected = `an array [${names.join(', ')}] (each a tf.Tensor or null)`;
  if (!Array.isArray(v)) throw new Error(`expected ${what} to be ${expected}, got ${describe(v)}`);
  if (v.length > names.length) throw new Error(`expected ${what} to be ${expected}, got ${v.length} entries`);
  return v;
}

/** A live float32 tf.Tensor. */
export function checkTensor(what: string, t: unknown): tf.Tensor {
  if (!(t instanceof tf.Tensor)) throw new Error(`expected ${what} to be a tf.Tensor, got ${describe(t)}`);
  if (t.isDisposed) throw new Error(`expected ${what} to be a live tf.Tensor, got a disposed one`);
  if (t.dtype !== 'float32') throw new Error(`expected ${what} of dtype float32, got ${t.dtype}`);
  return t;
}

export function checkShape(what: string, t: tf.Tensor, expected: readonly number[], expectedText?: string): void {
  const ok = t.rank === expected.length && t.shape.every((s, i) => s === expected[i]);
  if (!ok) throw new Error(`expected ${what} ${expectedText ?? fmt(expected)}, got ${fmt(t.shape)}`);
}

/** A live float32 tensor of exactly this shape. */
export function checkTensorShape(what: string, t: unknown, expected: readonly number[], expectedText?: string): tf.Tensor {
  const tensor = checkTensor(what, t);
  checkShape(what, tensor, expected, expectedText);
  return tensor;
}

/** Backends whose tensors can be read synchronously (webgpu under Node cannot). */
function canReadSync(): boolean {
  return tf.getBackend() !== 'webgpu';
}

/**
 * Refuses NaN and ±Infinity, where a synchronous read is possible (not on webgpu). Used for
 * weights, which are set rarely; inputs are not checked (that would read every batch back).
 */
export function checkFinite(what: string, t: tf.Tensor): void {
  if (!canReadSync()) return;
  const v = t.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new Error(`expected ${what} to hold finite numbers, got ${v[i]} at flat index ${i}`);
  }
}

/** Validated x (and initial states): B, T and whether x was one sequence [T, D]. */
export function checkInput(
  x: unknown,
  D: number,
  H: number,
  initial: ReadonlyArray<readonly [string, unknown]>,
): { B: number; T: number; unbatched: boolean } {
  if (!(x instanceof tf.Tensor)) throw new Error(`expected input to be a tf.Tensor [batch, time, ${D}], got ${describe(x)}`);
  if (x.isDisposed) throw new Error(`expected input to be a live tf.Tensor, got a disposed one`);
  if (x.rank !== 3 && x.rank !== 2) {
    throw new Error(`expected input [batch, time, ${D}] or [time, ${D}], got ${fmt(x.shape)} (rank ${x.rank})`);
  }
  const unbatched = x.rank === 2;
  const [B, T, Dx] = unbatched ? [1, x.shape[0], x.shape[1]] : x.shape;
  const expectedText = unbatched ? `[time, ${D}]` : `[batch, time, ${D}]`;
  if (Dx !== D) throw new Error(`expected input ${expectedText}, got ${fmt(x.shape)}`);
  if (T === 0) throw new Error(`expected at least one time step, got input ${fmt(x.shape)}`);
  if (B === 0) throw new Error(`expected at least one sequence in the batch, got input ${fmt(x.shape)}`);
  checkTensor('input', x);
  for (const [name, s] of initial) {
    if (s == null) continue;
    checkTensorShape(name, s, unbatched ? [H] : [B, H]);
  }
  return { B, T, unbatched };
}

/** checkInput for the differentiable entry points, which take batches [B, T, D] only. */
export function checkBatchedInput(x: unknown, D: number, H: number, initial: ReadonlyArray<readonly [string, unknown]>): void {
  if (!(x instanceof tf.Tensor) || x.rank !== 3) {
    throw new Error(`expected input [batch, time, ${D}], got ${x instanceof tf.Tensor ? fmt(x.shape) : describe(x)}`);
  }
  checkInput(x, D, H, initial);
}
