/** Backend names as people type them, and the candidates (packages) behind each. */
import { errorMessage } from '../text';
import type { BackendName, BackendRequest, CandidateId } from './types';

/** Every name `--backend` and TFJS_RNN_BACKEND accept, in the order auto-selection tries them. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** The environment variable that picks a backend when no `--backend` flag is given. */
export const BACKEND_ENV_VAR = 'TFJS_RNN_BACKEND';

/** The auto-selection order (see select.ts). */
export const AUTO_ORDER: readonly CandidateId[] = ['tensorflow-gpu', 'webgpu', 'tensorflow-cpu', 'wasm', 'cpu'];

/** The candidates a request by name tries, in order. */
export const CANDIDATES_FOR: Readonly<Record<BackendName, readonly CandidateId[]>> = {
  tensorflow: ['tensorflow-gpu', 'tensorflow-cpu'],
  webgpu: ['webgpu'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
export const TFJS_NODE = '@tensorflow/tfjs-node';
export const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';
export const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';
export const TFJS_CPU = '@tensorflow/tfjs-backend-cpu';

/**
 * Parses a backend name as given on the command line or in the environment (case-insensitive).
 * Throws naming the valid names when it is not one of them.
 */
export function parseBackendName(name: string): BackendRequest {
  const n = name.trim().toLowerCase();
  if (n === 'auto' || (BACKEND_NAMES as readonly string[]).includes(n)) return n as BackendRequest;
  throw new Error(
    `unknown backend '${name}': expected one of ${BACKEND_NAMES.join(', ')}, or auto`,
  );
}

/** The request in force: an explicit one, else TFJS_RNN_BACKEND, else 'auto'. */
export function resolveBackendRequest(request?: string, env: NodeJS.ProcessEnv = process.env): BackendRequest {
  if (request !== undefined && request.trim() !== '') return parseBackendName(request);
  const fromEnv = env[BACKEND_ENV_VAR];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    try {
      return parseBackendName(fromEnv);
    } catch (e) {
      throw new Error(`${BACKEND_ENV_VAR}: ${errorMessage(e)}`);
    }
  }
  return 'auto';
}

export function backendOf(candidate: CandidateId): BackendName {
  return candidate === 'tensorflow-gpu' || candidate === 'tensorflow-cpu' ? 'tensorflow' : candidate;
}

export function packageOf(candidate: CandidateId): string {
  switch (candidate) {
    case 'tensorflow-gpu': return TFJS_NODE_GPU;
    case 'tensorflow-cpu': return TFJS_NODE;
    case 'webgpu': return TFJS_WEBGPU;
    case 'wasm': return TFJS_WASM;
    case 'cpu': return TFJS_CPU;
  }
}
