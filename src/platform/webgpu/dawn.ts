/**
 * Dawn itself: the `webgpu` npm package ships a prebuilt dawn.node that needs only libvulkan.so.1
 * and a Vulkan driver at run time (or EGL for its OpenGL ES backend). Loaded once per process and
 * only when asked for, so that the cpu and wasm paths never load it.
 */
import { createRequire } from 'module';
import { ensureRuntimeDir } from './runtime_dir';
import type { DawnBackend, DawnModule, GpuLike } from './types';

/** Limit for each Dawn call (requestAdapter, requestDevice, onSubmittedWorkDone), in ms. */
export const TIMEOUT_MS = Number(process.env.TFJS_RNN_WEBGPU_TIMEOUT_MS ?? 20000);

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Node's own require, even under jest: jest replaces `require` and `module.createRequire` with
 * its own loader, which cannot load the ESM-only `webgpu` package; process.getBuiltinModule
 * (Node >= 20.16) hands out the real `module` builtin.
 */
function builtin<T>(id: string): T | undefined {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return getBuiltin ? (getBuiltin(id) as T) : undefined;
}
const nodeRequire: NodeJS.Require =
  (builtin<{ createRequire: typeof createRequire }>('module')?.createRequire ?? createRequire)(__filename);

/** The real process: under jest `process.env` is a copy that never reaches native getenv. */
export function realProcess(): NodeJS.Process {
  return builtin<NodeJS.Process>('process') ?? process;
}

let dawnModule: DawnModule | undefined;
export function loadDawn(): DawnModule {
  // `webgpu` is ESM; Node >= 20.19 can require() it. Loaded once per process: a second
  // dlopen of dawn.node in the same process is not something to rely on.
  if (!dawnModule) dawnModule = nodeRequire('webgpu') as DawnModule;
  return dawnModule;
}

/**
 * Dawn instances, one per backend for the whole process. Kept on the real process object, not in
 * a module variable: a loader that evaluates this module again (jest does, once per test file)
 * would otherwise make a new instance each time, each holding its own driver state.
 */
const INSTANCES = Symbol.for('tfjs-rnn/dawn-instances');
function instances(): Map<DawnBackend, GpuLike> {
  const holder = realProcess() as unknown as { [INSTANCES]?: Map<DawnBackend, GpuLike> };
  return (holder[INSTANCES] ??= new Map<DawnBackend, GpuLike>());
}

/** One Dawn instance per backend, reused until forgotten. */
export function dawnInstance(backend: DawnBackend): GpuLike {
  const gpuInstances = instances();
  let gpu = gpuInstances.get(backend);
  if (!gpu) {
    // No display server needed. Set on the real process so that libEGL's getenv sees it.
    const env = realProcess().env;
    if (backend === 'opengles' && env.EGL_PLATFORM === undefined) env.EGL_PLATFORM = 'surfaceless';
    ensureRuntimeDir(env); // keeps Mesa's 'XDG_RUNTIME_DIR is invalid' line out of successful runs
    gpu = loadDawn().create(backend === 'opengles' ? ['backend=opengles'] : ['backend=vulkan']);
    gpuInstances.set(backend, gpu);
  }
  return gpu;
}

/** Drops a backend's instance, so that a later call (after a fix to the environment) starts afresh. */
export function forgetDawnInstance(backend: DawnBackend): void {
  instances().delete(backend);
}
