/**
 * The `--backend NAME` flag every script accepts, and the one call a script makes at start:
 *
 *   const backendInfo = await initBackendFromArgv();   // prints the summary once
 *   ... record backendInfo in the output file ...
 *
 * Precedence: `--backend NAME` (or `--backend=NAME`), then env TFJS_RNN_BACKEND, then 'auto'.
 */
import { errorMessage } from '../text';
import { BACKEND_NAMES, parseBackendName } from './names';
import { initBackend } from './select';
import type { BackendInfo, BackendRequest } from './types';

/** Usage text for a script's --help. */
export const BACKEND_FLAG_HELP =
  `--backend NAME   ${BACKEND_NAMES.join(' | ')} | auto (default: env TFJS_RNN_BACKEND, else auto: ` +
  'CUDA tensorflow, hardware webgpu, tensorflow CPU, wasm, cpu)';

/**
 * The backend named by `--backend NAME` / `--backend=NAME` in argv, or undefined when the flag is
 * absent. Throws on a missing value or an unknown name (listing the valid ones). The last
 * occurrence wins, as with most CLIs.
 */
export function backendFlagFromArgv(argv: readonly string[] = process.argv.slice(2)): BackendRequest | undefined {
  let found: BackendRequest | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let value: string | undefined;
    if (arg === '--backend') {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new Error(`--backend: expected a name (${BACKEND_NAMES.join(', ')}, auto), got nothing`);
      }
      i++;
    } else if (arg.startsWith('--backend=')) {
      value = arg.slice('--backend='.length);
    } else {
      continue;
    }
    try {
      found = parseBackendName(value);
    } catch (e) {
      throw new Error(`--backend: ${errorMessage(e)}`);
    }
  }
  return found;
}

/** argv without the --backend flag and its value (for scripts that parse the rest themselves). */
export function withoutBackendFlag(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--backend') {
      i++;
      continue;
    }
    if (argv[i].startsWith('--backend=')) continue;
    out.push(argv[i]);
  }
  return out;
}

let printed = false;

/**
 * Parses --backend from argv, initialises the backend (flag, else TFJS_RNN_BACKEND, else auto)
 * and prints its summary once per process to stderr (stdout stays clean for data). Throws with
 * the reason when a backend asked for by name cannot run.
 */
export async function initBackendFromArgv(
  argv: readonly string[] = process.argv.slice(2),
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BackendInfo> {
  const info = await initBackend(backendFlagFromArgv(argv));
  if (!printed) {
    log(info.summary);
    printed = true;
  }
  return info;
}
