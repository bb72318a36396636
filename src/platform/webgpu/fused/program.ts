/**
 * One elementwise WGSL program per fused kernel, run through the webgpu backend's own program API
 * (backend.runWebGPUProgram: its pipeline cache, buffer manager and command encoder) and registered
 * as a tfjs kernel, so that tf.profile lists each call: one kernel = one dispatch.
 *
 * A kernel's body runs once per output element of a [rows, cols] output, with `index`, `row` and
 * `col` defined, reads its inputs as flat arrays by name, and sets `result[index]`. Program
 * uniforms: `H` (units) and `t` (the time step, for inputs that hold all steps, [T, B, G·H]).
 * Every input given must be read by the body: WebGPU leaves unread bindings out of the pipeline's
 * layout, and binding them then is a validation error.
 *
 * A row-tiled kernel (spec.rowTiled) runs instead one workgroup of 64 threads per 64 columns of one
 * output row, so that the threads of a workgroup share that row's values through workgroup memory:
 * its body runs in every thread (barriers allowed, no bounds check around it), with `row`, `col`,
 * `lane` (0–63), `live` (col < cols) and `outIndex` (row · cols + col) defined, and writes
 * `result[outIndex]` only where `live`.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-backend-webgpu's WebGPUBackend this module uses. */
interface WebGPUBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: Array<{ type: 'int32'; data: number[] }>): tf.TensorInfo;
}

/** What makes one kernel: its WGSL, given the variant's options. */
export interface FusedKernelSpec<O> {
  /** The registered kernel name (what tf.profile shows). */
  name: string;
  /** WGSL functions the body calls, for these options. */
  helpers(o: O): string;
  /** The per-element WGSL, for these options and the inputs present. */
  body(o: O, present: ReadonlySet<string>): string;
  /** One workgroup per 64 columns of a row (see the top); elementwise when absent. */
  rowTiled?: boolean;
}

interface Attrs<O> {
  options: O;
  /** Output [rows, cols]. */
  shape: [number, number];
  H: number;
  t: number;
  /** Input names, in the order given to runKernel. */
  names: string[];
}

const WORKGROUP = 64;
const registered = new Set<string>();

/** A row-tiled kernel's main: workgroup wg covers columns (wg mod perRow)·64 + 0..63 of row wg div perRow. */
const rowTiledMain = (helpers: string, body: string): string => `
          ${helpers}
          fn main(index : i32) {
            let H = uniforms.H;
            let t = uniforms.t;
            let cols = uniforms.outShape[1];
            let perRow = (cols + ${WORKGROUP - 1}) / ${WORKGROUP};
            let wg = index / ${WORKGROUP};
            let lane = index - wg * ${WORKGROUP};
            let row = wg / perRow;
            let col = (wg - row * perRow) * ${WORKGROUP} + lane;
            let live = col < cols;
            let outIndex = row * cols + col;
            ${body}
          }`;

function register<O>(spec: FusedKernelSpec<O>): void {
  if (registered.has(spec.name)) return;
  registered.add(spec.name);
  tf.registerKernel({
    kernelName: spec.name,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as Attrs<O>;
      const present = new Set(a.names);
      const size = a.shape[0] * a.shape[1];
      const groups = spec.rowTiled ? a.shape[0] * Math.ceil(a.shape[1] / WORKGROUP) : Math.ceil(size / WORKGROUP);
      const program = {
        variableNames: a.names,
        outputShape: a.shape,
        dispatchLayout: { x: [0, 1] },
        dispatch: [groups, 1, 1] as [number, number, number],
        workgroupSize: [WORKGROUP, 1, 1] as [number, number, number],
        size: true,
        uniforms: 'H : i32, t : i32,',
        // The options and the inputs present pick the WGSL; shapes come in as uniforms.
        shaderKey: `${spec.name}_${JSON.stringify(a.options)}_${a.names.join(',')}`,
        getUserCode: () => spec.rowTiled ? rowTiledMain(spec.helpers(a.options), spec.body(a.options, present)) : `
          ${spec.helpers(a.options)}
          fn main(index : i32) {
            if (index < uniforms.size) {
              let H = uniforms.H;
              let t = uniforms.t;
              let cols = uniforms.outShape[1];
              let row = index / cols;
              let col = index - row * cols;
              ${spec.body(a.options, present)}
            }
          }`,
      };
      const list = a.names.map((n) => (inputs as Record<string, tf.TensorInfo>)[n]);
      return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(program, list, 'float32', [
        { type: 'int32', data: [a.H] },
        { type: 'int32', data: [a.t] },
      ]);
    },
  });
}

/**
 * Runs one fused kernel: inputs by WGSL name (null ones are absent and leave their variant out),
 * output [rows, cols]. Must run on the webgpu backend.
 */
export function runFused<O>(spec: FusedKernelSpec<O>, inputs: Record<string, tf.Tensor | null>, shape: [number, number], options: O, H: number, t = 0): tf.Tensor2D {
  if (tf.getBackend() !== 'webgpu') throw new Error(`${spec.name}: expected the webgpu backend, got '${tf.getBackend()}'`);
  register(spec);
  const named: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(inputs)) if (v !== null) named[k] = v;
  const attrs = { options, shape, H, t, names: Object.keys(named) } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(spec.name, named, attrs) as tf.Tensor2D;
}

/**
 * WGSL for `value` where the step's mask M [T, B] (read at step t, row `row`) is 1 or no mask is
 * given, and `kept` where it is 0: how every fused kernel honours a mask.
 */
export function masked(present: ReadonlySet<string>, kept: string, value: string): string {
  return present.has('M') ? `select(${kept}, ${value}, M[t * uniforms.outShape[0] + row] != 0.0)` : value;
}

/**
 * With a mask: the part of dh_t that a kept state passes on to h_{t−1}, (1 − m) ⊙ dh_t, with
 * dh_t = DH (+ DS [T, B, H] at step t): the addend of the backward's dz·Uᵀ (LSTM, SimpleRNN).
 */
export const MASK_CARRY: FusedKernelSpec<Record<string, never>> = {
  name: 'TfjsRnnMaskCarry',
  helpers: () => '',
  body: (_o, p) => `
    let dh = DH[index]${p.has('DS') ? ' + DS[(t * uniforms.outShape[0] + row) * H + col]' : ''};
    result[index] = ${masked(p, 'dh', '0.0')};`,
};
