/**
 * A column split for the wasm backend. tfjs-wasm's Slice and SplitV copy the WHOLE source tensor out
 * of wasm memory for every output (readSync), so cutting an LSTM's [B, 4H] gates into four costs
 * four full copies per time step, more than the step's matMul at small sizes. This kernel does what
 * tfjs-wasm's own Concat does in reverse: views on the wasm heap, one row copy per output row. It
 * is plumbing, not math: the values are copied exactly. Its gradient is the concat of the upstream
 * gradients, so autodiff through it works too.
 */
import * as tf from '@tensorflow/tfjs';
import { TensorInfo, wasmHeapBackend } from '../platform/backend/wasm_heap';

export const SPLIT_COLUMNS = 'TfjsRnnSplitColumns';

function splitColumnsWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo[] {
  const x = args.inputs.x as unknown as TensorInfo;
  const sizes = (args.attrs as { sizes: number[] }).sizes;
  const backend = wasmHeapBackend(args.backend, SPLIT_COLUMNS);
  const K = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((p, s) => p * s, 1) / K;
  const lead = x.shape.slice(0, -1);
  // All outputs first: making one may grow wasm memory, which detaches earlier views.
  const outs = sizes.map((w) => backend.makeOutput([...lead, w], x.dtype));
  const src = backend.typedArrayFromHeap(x);
  let from = 0;
  outs.forEach((out, k) => {
    const w = sizes[k];
    const dst = backend.typedArrayFromHeap(out);
    for (let r = 0; r < rows; r++) dst.set(src.subarray(r * K + from, r * K + from + w), r * w);
    from += w;
  });
  return outs;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: SPLIT_COLUMNS, backendName: 'wasm', kernelFunc: splitColumnsWasm as unknown as tf.KernelFunc });
  tf.registerGradient({
    kernelName: SPLIT_COLUMNS,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ({ x: () => tf.concat(dy as tf.Tensor[], -1) }),
  });
}

/** x [..., K] cut along its last axis into blocks of the given widths (summing to K). */
export function splitColumns(x: tf.Tensor, sizes: number[]): tf.Tensor[] {
  if (tf.getBackend() !== 'wasm') return tf.split(x, sizes, -1);
  register();
  return tf.engine().runKernel(SPLIT_COLUMNS, { x }, { sizes } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
}
