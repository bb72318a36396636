/**
 * The part of tfjs-wasm's BackendWasm that our wasm kernels use: the calls its own Concat kernel
 * makes (makeOutput, then views of the wasm heap). Shared by scan/split_columns.ts and
 * wasm_kernels.ts.
 */
import type * as tf from '@tensorflow/tfjs';

/** A tensor as a kernel sees it. */
export interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

export interface WasmHeapBackend {
  /** A new tensor on the heap (allocating may grow wasm memory, which detaches earlier views). */
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  /** A view of the tensor's values on the heap, typed by its dtype. */
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The backend a kernel was given, checked to be tfjs-wasm's; throws naming the kernel otherwise. */
export function wasmHeapBackend(b: unknown, kernel: string): WasmHeapBackend {
  const o = b as Partial<WasmHeapBackend> | null;
  if (o != null && typeof o.makeOutput === 'function' && typeof o.typedArrayFromHeap === 'function') return o as WasmHeapBackend;
  throw new Error(`expected the tfjs wasm backend for ${kernel}, got another`);
}
