/**
 * Kernels tfjs-backend-wasm 4.22 lacks that training common models needs, registered for 'wasm'
 * when the wasm backend is set up (loaders.ts) or by `registerWasmKernels()`:
 *
 * - UnsortedSegmentSum, the gradient of tf.gather and so of every `tf.layers.embedding`: without it
 *   `fit()` of any Embedding model fails on wasm ("Kernel 'UnsortedSegmentSum' not registered for
 *   backend 'wasm'"), stock layers and ours alike. The other kernels of gather's gradient (Reshape,
 *   Transpose) exist on wasm.
 *
 * The kernel works on the wasm heap as tfjs-wasm's own kernels do (makeOutput, then views of the
 * heap; see scan/split_columns.ts), in plain JavaScript: a scatter-add of the rows of x into
 * numSegments rows, each sum formed in float64 over the rows in order and rounded once, as the cpu
 * backend's Sum does, so both backends give the same numbers. Ids outside [0, numSegments) are
 * dropped, as the cpu backend drops them. A kernel the wasm backend already has is left alone.
 */
import * as tf from '@tensorflow/tfjs';
import { TensorInfo, wasmHeapBackend } from './wasm_heap';

/**
 * out[s] = Σ_{i : segmentIds[i] = s} x[i], for x [...ids, ...inner] and segmentIds [...ids] (int32):
 * out [numSegments, ...inner].
 */
function unsortedSegmentSumWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const x = args.inputs.x as unknown as TensorInfo;
  const ids = args.inputs.segmentIds as unknown as TensorInfo;
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const backend = wasmHeapBackend(args.backend, 'UnsortedSegmentSum');
  const inner = x.shape.slice(ids.shape.length); // the shape of one row
  const width = inner.reduce((p, s) => p * s, 1);
  const rows = ids.shape.reduce((p, s) => p * s, 1);
  const out = backend.makeOutput([numSegments, ...inner], x.dtype); // before the views: it may grow the heap
  const xs = backend.typedArrayFromHeap(x);
  const seg = backend.typedArrayFromHeap(ids);
  const acc = new Float64Array(numSegments * width); // [numSegments, width]
  for (let i = 0; i < rows; i++) {
    const s = seg[i];
    if (s < 0 || s >= numSegments) continue;
    const to = s * width;
    const from = i * width;
    for (let j = 0; j < width; j++) acc[to + j] += xs[from + j];
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

const KERNELS: Array<[string, (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => TensorInfo]> = [
  ['UnsortedSegmentSum', unsortedSegmentSumWasm],
];

/** The kernel names this file provides for wasm. */
export const WASM_EXTRA_KERNELS: readonly string[] = KERNELS.map(([name]) => name);

/** Registers the kernels above for 'wasm' where it has none of its own (safe to call again). */
export function registerWasmKernels(): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    if (tf.getKernel(kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
