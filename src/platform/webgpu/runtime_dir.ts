/**
 * XDG_RUNTIME_DIR for Dawn. Mesa's Vulkan drivers (lavapipe included) set up their window-system
 * support when Dawn creates an instance, and where XDG_RUNTIME_DIR is unset or not a directory
 * (containers, CI, `sudo`, ssh without a login session) print `error: XDG_RUNTIME_DIR is invalid
 * or not set in the environment` on stderr, natively, in runs that then succeed. Compute needs no
 * display: before the first Dawn instance we point it at a private directory of our own (mode
 * 0700, as the XDG spec asks), on the real process so that native getenv sees it. The doctor
 * reports what was changed (runtimeDirChange).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface RuntimeDirChange {
  /** XDG_RUNTIME_DIR as it was (undefined: unset). */
  was: string | undefined;
  /** The directory it points at now. */
  now: string;
}

let change: RuntimeDirChange | null = null;

function usable(dir: string | undefined): boolean {
  if (dir === undefined || dir === '' || !path.isAbsolute(dir)) return false;
  try {
    const st = fs.statSync(dir);
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return st.isDirectory();
  } catch {
    return false;
  }
}

/** Makes env.XDG_RUNTIME_DIR a usable directory when it is not one; returns what changed (null: nothing). */
export function ensureRuntimeDir(env: NodeJS.ProcessEnv): RuntimeDirChange | null {
  if (usable(env.XDG_RUNTIME_DIR)) return change;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(os.tmpdir(), `tfjs-rnn-runtime-${uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700, recursive: true });
    const st = fs.lstatSync(dir);
    // Someone else's directory, or a link, in a shared /tmp: leave the variable as it is.
    if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== uid)) return null;
    fs.chmodSync(dir, 0o700);
  } catch {
    return null;
  }
  change = { was: env.XDG_RUNTIME_DIR, now: dir };
  env.XDG_RUNTIME_DIR = dir;
  return change;
}

/** What ensureRuntimeDir changed in this process (null: nothing). */
export function runtimeDirChange(): RuntimeDirChange | null {
  return change;
}
