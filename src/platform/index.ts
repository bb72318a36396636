/**
 * Where the code runs: backend choice (backend/), WebGPU through Dawn (webgpu/) and
 * `npm run doctor` (doctor/). What the rest of the tree uses, in one place.
 */
export { initBackend } from './backend/select';
export type { InitBackendOptions } from './backend/select';
export { BACKEND_ENV_VAR, BACKEND_NAMES, parseBackendName } from './backend/names';
export type { BackendAttempt, BackendInfo, BackendName, BackendRequest } from './backend/types';
export { MissingKernelError, missingKernels, withKernelCheck } from './backend/missing_kernel';
export { registerWasmKernels, WASM_EXTRA_KERNELS } from './backend/wasm_kernels';
export { BACKEND_FLAG_HELP, backendFlagFromArgv, initBackendFromArgv, withoutBackendFlag } from './backend/cli';
export { probeWebGPU } from './webgpu/probe';
export { registerWebGPUBackend } from './webgpu/register';
export { assertNoWebGPUErrors } from './webgpu/errors';
export type { WebGPUInfo, WebGPUProbe } from './webgpu/types';
export { collectFacts } from './doctor/facts';
export { diagnose } from './doctor/diagnose';
export { formatReport } from './doctor/format';
export { realProbes } from './doctor/probes';
export { runDoctor } from './doctor/run';
export type { DoctorOptions } from './doctor/run';
export type { DoctorReport } from './doctor/types';
