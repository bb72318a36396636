/**
 * The LSTM forward step's gate math as ONE wasm kernel (TfjsRnnLstmStepWasm): our own WebAssembly
 * SIMD module (lstm_step.wat, assembled into lstm_step_wasm.ts) instantiated over tfjs-wasm's own
 * memory, so it reads and writes tfjs's tensors in place. On the wasm backend it replaces the 12
 * kernels of the step after h·U (two adds, the split, three σ, two tanh, three products and a sum)
 * with one: tfjs-wasm's Tanh is a scalar loop (~60 µs for [32, 128]), each other kernel costs a few
 * µs of dispatch, and the step's own work is small. Exactness: z = (R + P) + b in tfjs's order, σ
 * by XNNPACK's algorithm, tanh through an accurate expm1 (test/wasm_lstm_step.test.ts measures both
 * against float64: a few ulp). benchmarks/NOTES.md has the timings.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_FLAG } from '../../scan/sequence';
import { LSTM_STEP_WASM } from './lstm_step_wasm';
import { TensorInfo, WasmModuleBackend, heapOffset, wasmHeapBackend } from './wasm_heap';

export const LSTM_STEP_KERNEL = 'TfjsRnnLstmStepWasm';

/** The WebAssembly JS API, typed here (this project's TypeScript libs do not declare it). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface StepModule {
  lstm_forward(...args: number[]): void;
  tanh(x: number, y: number, n: number): void;
}

/** The recurrent activations the kernel has; its activation is tanh. */
export type LstmStepRecurrent = 'sigmoid' | 'hardSigmoid';

/** The module instantiated over each wasm memory, or null where it cannot be (no SIMD, a shared memory). */
const modules = new WeakMap<object, StepModule | null>();
let compiled: object | null = null;

/**
 * The module over this wasm backend's memory, or null where tfjs-wasm exports none or the module
 * cannot instantiate over it (then the LSTM step runs tfjs-wasm's own ops, as before).
 */
function moduleFor(backend: WasmModuleBackend): StepModule | null {
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WA.Memory)) return null;
  let m = modules.get(memory);
  if (m === undefined) {
    try {
      compiled ??= new WA.Module(Buffer.from(LSTM_STEP_WASM, 'base64'));
      m = new WA.Instance(compiled, { env: { memory } }).exports as unknown as StepModule;
    } catch {
      m = null;
    }
    modules.set(memory, m);
  }
  return m;
}

/** The module for a kernel call: there, since hasWasmLstmStep said so. */
function loaded(backend: WasmModuleBackend): StepModule {
  const m = moduleFor(backend);
  if (m === null) throw new Error(`${LSTM_STEP_KERNEL}: expected our SIMD module to load over tfjs-wasm's memory, it did not`);
  return m;
}

function lstmStepWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo[] {
  const backend = wasmHeapBackend(args.backend, LSTM_STEP_KERNEL) as WasmModuleBackend;
  const { R, P, c, bias } = args.inputs as unknown as Record<string, TensorInfo | undefined>;
  const recurrent = (args.attrs as { recurrent: LstmStepRecurrent }).recurrent;
  const [B, H] = (c as TensorInfo).shape;
  const m = loaded(backend);
  const outs = Array.from({ length: 6 }, () => backend.makeOutput([B, H], 'float32')); // c_t, h_t, i, f, g, o
  const at = (t: TensorInfo | undefined) => (t === undefined ? 0 : heapOffset(backend, t, LSTM_STEP_KERNEL));
  const flags = (bias === undefined ? 0 : 1) | (recurrent === 'hardSigmoid' ? 2 : 0);
  m.lstm_forward(at(R), at(P), at(bias), at(c), ...outs.map((o) => at(o)), B, H, flags);
  return outs;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: LSTM_STEP_KERNEL, backendName: 'wasm', kernelFunc: lstmStepWasm as unknown as tf.KernelFunc });
  tf.registerGradient({
    kernelName: LSTM_STEP_KERNEL,
    gradFunc: () => {
      throw new Error(`${LSTM_STEP_KERNEL} has no autodiff gradient: it runs inside the LSTM's manual BPTT only`);
    },
  });
}

/**
 * Whether the kernel runs this LSTM step: the wasm backend, tanh, σ or hardSigmoid, and the fused
 * kernels' switch on (TFJS_RNN_FUSED, src/scan/sequence.ts: off, the step runs tfjs's own ops).
 */
export function hasWasmLstmStep(activation: string, recurrentActivation: string): recurrentActivation is LstmStepRecurrent {
  return tf.getBackend() === 'wasm' && tf.env().getBool(FUSED_FLAG) && moduleFor(tf.backend() as unknown as WasmModuleBackend) !== null && activation === 'tanh' && (recurrentActivation === 'sigmoid' || recurrentActivation === 'hardSigmoid');
}

/**
 * One LSTM step after R = h_{t−1}·U: R, P [B, 4H], bias [4H] or null, c [B, H]. Returns
 * [c_t, h_t, i, f, g, o], [B, H] each.
 */
export function wasmLstmStep(R: tf.Tensor2D, P: tf.Tensor2D, bias: tf.Tensor1D | null, c: tf.Tensor2D, recurrent: LstmStepRecurrent): tf.Tensor2D[] {
  register();
  const inputs: tf.NamedTensorMap = bias === null ? { R, P, c } : { R, P, c, bias };
  return tf.engine().runKernel(LSTM_STEP_KERNEL, inputs, { recurrent } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor2D[];
}

/** tanh by the kernel's own approximation, on the wasm backend (for its tests). */
export function wasmTanh(x: tf.Tensor): Float32Array {
  const backend = wasmHeapBackend(tf.backend(), 'wasmTanh') as WasmModuleBackend;
  const out = backend.makeOutput(x.shape, 'float32');
  loaded(backend).tanh(heapOffset(backend, x, 'wasmTanh'), heapOffset(backend, out, 'wasmTanh'), x.size);
  const y = tf.engine().makeTensorFromTensorInfo(out as unknown as tf.TensorInfo);
  const values = y.dataSync() as Float32Array;
  y.dispose();
  return values.slice();
}
