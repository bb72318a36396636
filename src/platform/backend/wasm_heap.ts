/**
 * The part of tfjs-wasm's BackendWasm that our wasm kernels use: the calls its own Concat kernel
 * makes (makeOutput, then views of the wasm heap), and where a tensor lives on that heap (for our
 * compiled kernels, wasm_lstm_step.ts). Shared by scan/split_columns.ts, wasm_kernels.ts and
 * wasm_lstm_step.ts.
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

/** The same backend's module and bookkeeping: its exported memory, each tensor's byte offset on it. */
export interface WasmModuleBackend extends WasmHeapBackend {
  wasm?: { asm?: { memory?: object } };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}

/** The byte offset of a tensor on the wasm heap; throws naming the kernel for one the backend does not hold. */
export function heapOffset(backend: WasmModuleBackend, info: TensorInfo, kernel: string): number {
  const d = backend.dataIdMap.get(info.dataId);
  if (d === undefined) throw new Error(`${kernel}: expected a tensor of the wasm backend, got one it does not hold`);
  return d.memoryOffset;
}

/** The backend a kernel was given, checked to be tfjs-wasm's; throws naming the kernel otherwise. */
export function wasmHeapBackend(b: unknown, kernel: string): WasmHeapBackend {
  const o = b as Partial<WasmHeapBackend> | null;
  if (o != null && typeof o.makeOutput === 'function' && typeof o.typedArrayFromHeap === 'function') return o as WasmHeapBackend;
  throw new Error(`expected the tfjs wasm backend for ${kernel}, got another`);
}
