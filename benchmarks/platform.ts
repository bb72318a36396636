/**
 * The benchmarks' one door to the platform modules (backend choice, WebGPU checks): every script
 * and module here imports them from this file only.
 */
export { assertNoWebGPUErrors, BACKEND_ENV_VAR, initBackend, parseBackendName } from '../src';
export type { BackendInfo } from '../src';
