/**
 * tfjs's webgpu backend on a Dawn device, with what tfjs 4.22 does not do for us:
 * 1. Limits. tfjs's own factory requests no maxStorageBuffersPerShaderStage, so the device gets the
 *    WebGPU default of 8 and any kernel binding more (tf.addN of 8 tensors: 8 inputs + 1 output)
 *    gives WRONG results with only a Dawn message on stderr. We request the adapter's own limits,
 *    and split AddN into chunks that fit the device (tfjs's Concat already splits; AddN does not).
 * 2. Errors: the device's validation errors throw at the next sync point (see errors.ts).
 * 3. Honesty about the adapter: a software adapter (Mesa lavapipe, `architecture: 'software'`) is
 *    used only when asked for.
 */
import * as tf from '@tensorflow/tfjs';
import { packageInfo } from '../system';
import { errorMessage } from '../text';
import { dawnInstance, loadDawn, TIMEOUT_MS, withTimeout } from './dawn';
import { explainNoAdapter, gatherNoAdapterFacts } from './environment';
import { releaseDevice, throwIfErrors, watchDevice } from './errors';
import { adapterRequest, backendOrder, findAdapter, mesaVersionOf, pickLimits, requestDevice } from './probe';
import type { GpuAdapterInfoLike, GpuDeviceLike, GpuLike, RegisterWebGPUOptions, WebGPUInfo } from './types';

interface WebGPUBackendLike extends tf.KernelBackend {
  device: GpuDeviceLike;
  read(dataId: object): Promise<tf.backend_util.BackendValues>;
  readSync(dataId: object): tf.backend_util.BackendValues;
  runWebGPUProgram(...args: unknown[]): tf.TensorInfo;
  tensorMap: { get(dataId: object): { values?: unknown } };
}
type WebGPUBackendCtor = new (device: GpuDeviceLike, adapterInfo?: GpuAdapterInfoLike) => WebGPUBackendLike;

function loadTfjsWebGPU(): WebGPUBackendCtor {
  // The CommonJS bundle registers all webgpu kernels, and registers tfjs's own 'webgpu' factory
  // only if navigator.gpu exists at that moment; we replace that factory below either way.
  const mod = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: WebGPUBackendCtor };
  return mod.WebGPUBackend;
}

/** Makes the WebGPU globals (GPUBufferUsage, ...) and navigator.gpu visible to tfjs. */
function installGlobals(gpu: GpuLike): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(loadDawn().globals)) if (g[k] === undefined) g[k] = v;
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  if (nav.gpu === gpu) return;
  const merged = Object.assign(Object.create(Object.getPrototypeOf(nav) as object) as object, nav, { gpu });
  Object.defineProperty(globalThis, 'navigator', { value: merged, configurable: true, writable: true });
}

const CHUNKED = Symbol.for('tfjs-rnn.addNChunked');
/**
 * tfjs's AddN binds every input plus the output in one shader; a device allows
 * maxStorageBuffersPerShaderStage of them (16 on lavapipe). Split larger sums into chunks.
 */
function patchAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu');
  // The kernel registry is global: patch once even if this module is loaded twice.
  if (!original || (original.kernelFunc as { [CHUNKED]?: boolean })[CHUNKED]) return;
  const addN = original.kernelFunc;
  const chunked: tf.KernelFunc = (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as WebGPUBackendLike;
    const maxInputs = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= maxInputs) return addN(args);
    const temps: tf.TensorInfo[] = [];
    let pending = inputs;
    while (pending.length > maxInputs) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < pending.length; i += maxInputs) {
        const chunk = pending.slice(i, i + maxInputs);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const partial = addN({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        temps.push(partial);
        next.push(partial);
      }
      pending = next;
    }
    const result = addN({ ...args, inputs: pending as unknown as tf.NamedTensorInfoMap });
    for (const t of temps) backend.disposeData(t.dataId);
    return result;
  };
  (chunked as { [CHUNKED]?: boolean })[CHUNKED] = true;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ kernelName: 'AddN', backendName: 'webgpu', kernelFunc: chunked });
}

/** Sync points throw collected errors; dataSync gets a message that says what to do instead. */
function instrumentBackend(backend: WebGPUBackendLike): void {
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    const values = await read(dataId);
    throwIfErrors('data()');
    return values;
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    throwIfErrors('dataSync()');
    const cached = backend.tensorMap.get(dataId).values;
    if (cached == null && typeof (globalThis as Record<string, unknown>).OffscreenCanvas === 'undefined') {
      throw new Error(
        'dataSync()/arraySync() on the webgpu backend needs OffscreenCanvas, which Node does not have; ' +
          'expected an async read: use `await t.data()` / `await t.array()`.',
      );
    }
    return readSync(dataId);
  };
  const runProgram = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (...args: unknown[]) => {
    throwIfErrors('the next webgpu kernel');
    return runProgram(...args);
  };
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    dispose();
    releaseDevice(backend.device);
    backend.device.destroy();
  };
}

let lastFactoryError: string | undefined;
let registered: { key: string; factory: () => Promise<WebGPUBackendLike>; info: WebGPUInfo } | undefined;

function initialisationError(): Error {
  return new Error(`webgpu backend failed to initialise: ${lastFactoryError ?? 'see the warning above'}`);
}

/**
 * Registers tfjs's webgpu backend on a Dawn device created with the adapter's own limits, makes
 * it the current backend, and returns what it runs on. Throws (with the reason and the fix) when
 * there is no adapter, or when the adapter is software and `allowSoftware` is not set.
 * Calling it again with the same options only makes webgpu current again (its tensors survive);
 * with other options it replaces the backend, and tensors on the old one are gone.
 */
export async function registerWebGPUBackend(opts: RegisterWebGPUOptions = {}): Promise<WebGPUInfo> {
  const order = backendOrder(opts);
  const key = JSON.stringify([order, opts.allowSoftware === true, opts.requestAdapterLimits !== false]);
  if (registered && registered.key === key && tf.findBackendFactory('webgpu') === registered.factory) {
    if (!(await tf.setBackend('webgpu'))) throw initialisationError();
    return registered.info;
  }
  const webgpuPackageVersion = packageInfo('webgpu')?.version ?? 'unknown';
  try {
    loadDawn();
  } catch (e) {
    throw new Error(
      `webgpu backend unavailable: the 'webgpu' package did not load (${errorMessage(e)}); ` +
        `expected Node >= 20.19 (this is ${process.version}) and 'npm install webgpu'`,
    );
  }
  const tried: string[] = [];
  const found = await findAdapter(order, tried);
  if (!found) {
    throw new Error(`webgpu backend unavailable: ${explainNoAdapter(gatherNoAdapterFacts(tried))}`);
  }
  const adapterSummary = found.summary;
  if (adapterSummary.isSoftware && !opts.allowSoftware) {
    throw new Error(
      `webgpu: the only adapter is software (${adapterSummary.description || adapterSummary.device}); ` +
        'expected a hardware GPU. A software adapter is used only when asked for by name (--backend webgpu).',
    );
  }
  const dawnBackend = adapterSummary.dawnBackend;
  const gpu = dawnInstance(dawnBackend);
  installGlobals(gpu);
  const WebGPUBackend = loadTfjsWebGPU();
  patchAddN();

  const fullLimits = opts.requestAdapterLimits !== false;
  const factory = async (): Promise<WebGPUBackendLike> => {
    try {
      // Adapters are single-use: each (re)initialisation asks for a fresh one.
      const adapter = await withTimeout(gpu.requestAdapter(adapterRequest(dawnBackend)), TIMEOUT_MS, 'requestAdapter');
      if (!adapter) throw new Error(`Dawn (${dawnBackend}) returned no adapter`);
      const device = await withTimeout(requestDevice(adapter, fullLimits), TIMEOUT_MS, 'requestDevice');
      watchDevice(device);
      const backend = new WebGPUBackend(device, adapter.info);
      instrumentBackend(backend);
      lastFactoryError = undefined;
      return backend;
    } catch (e) {
      lastFactoryError = errorMessage(e);
      throw e;
    }
  };
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', factory, opts.priority ?? 3);
  if (!(await tf.setBackend('webgpu'))) throw initialisationError();
  await tf.ready();

  const backend = tf.backend() as WebGPUBackendLike;
  const limits = pickLimits(backend.device.limits);
  const mesaVersion = adapterSummary.isSoftware ? mesaVersionOf(adapterSummary) : undefined;
  const name = adapterSummary.description || adapterSummary.device || adapterSummary.vendor || 'unknown adapter';
  const summary =
    `webgpu on ${name} (${adapterSummary.isSoftware ? 'software' : 'hardware'}, Dawn ${dawnBackend}` +
    `${adapterSummary.featureLevel === 'compatibility' ? ' compatibility' : ''}, ` +
    `maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage})`;
  const info: WebGPUInfo = {
    adapter: adapterSummary,
    limits,
    mesaVersion,
    webgpuPackageVersion,
    tfjsBackendWebGPUVersion: packageInfo('@tensorflow/tfjs-backend-webgpu')?.version ?? 'unknown',
    summary,
  };
  registered = { key, factory, info };
  return info;
}
