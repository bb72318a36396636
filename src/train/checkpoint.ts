/**
 * Checkpoints that survive a crash at any moment.
 *
 *   checkpoint/
 *     LATEST                 the name of the newest complete checkpoint (replaced atomically)
 *     ckpt-00000120/         one complete checkpoint
 *       manifest.json        step, metadata (RNG and data state, config), and per binary file:
 *                            byte length, sha256, and the arrays it holds (name, shape, dtype, offset)
 *       model.bin …          one file per group of arrays (model weights, optimizer state)
 *     ckpt-00000100/         the previous one, kept until a newer one is complete
 *
 * Writing: every file goes into a fresh temporary directory, each fsync'ed, the manifest last; the
 * directory is fsync'ed and renamed to ckpt-<step>; then LATEST is replaced (temp file, fsync,
 * rename); only then are older checkpoints removed (all but the previous one). A crash before the
 * rename leaves a temporary directory that is ignored and cleaned up; a crash after it leaves a
 * complete checkpoint. Reading takes the newest checkpoint whose manifest and checksums verify.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import writeFileAtomic from 'write-file-atomic';

export const CHECKPOINT_FORMAT = 'tfjs-rnn-checkpoint';
const VERSION = 1;

export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface CheckpointContents {
  step: number;
  /** JSON-serialisable state: RNG and data position, optimizer extras, config. */
  meta: Record<string, unknown>;
  /** Groups of arrays; each group is one binary file `<group>.bin`. */
  groups: Record<string, NamedArray[]>;
}

interface ArraySpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

interface Manifest {
  format: string;
  version: number;
  step: number;
  meta: Record<string, unknown>;
  files: Record<string, { group: string; bytes: number; sha256: string; arrays: ArraySpec[] }>;
}

export interface LoadedCheckpoint extends CheckpointContents {
  /** The directory it was read from. */
  dir: string;
  /** Checkpoints that were skipped because they did not verify, with the reason. */
  skipped: string[];
}

function checkpointName(step: number): string {
  return `ckpt-${String(step).padStart(8, '0')}`;
}

function writeFileSynced(file: string, data: Uint8Array | string): void {
  const fd = fs.openSync(file, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Names of the complete checkpoints in root, newest first. */
function listCheckpoints(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((n) => /^ckpt-\d{8}$/.test(n))
    .sort()
    .reverse();
}

function removeStaleTemps(root: string): void {
  for (const n of fs.readdirSync(root)) {
    // .tmp-*: our half-written checkpoints; LATEST.*: write-file-atomic's temporary files.
    if (n.startsWith('.tmp-') || n.startsWith('LATEST.')) fs.rmSync(path.join(root, n), { recursive: true, force: true });
  }
}

/** Name of the checkpoint LATEST points to, or null. */
export function latestName(root: string): string | null {
  const file = path.join(root, 'LATEST');
  if (!fs.existsSync(file)) return null;
  const name = fs.readFileSync(file, 'utf8').trim();
  return /^ckpt-\d{8}$/.test(name) ? name : null;
}

/** Writes a checkpoint under root (the run's checkpoint/ directory); returns its directory. */
export function saveCheckpoint(root: string, contents: CheckpointContents): string {
  fs.mkdirSync(root, { recursive: true });
  removeStaleTemps(root);
  const name = checkpointName(contents.step);
  const finalDir = path.join(root, name);
  const tmpDir = path.join(root, `.tmp-${name}-${process.pid}`);
  fs.mkdirSync(tmpDir);
  const manifest: Manifest = { format: CHECKPOINT_FORMAT, version: VERSION, step: contents.step, meta: contents.meta, files: {} };
  for (const [group, arrays] of Object.entries(contents.groups)) {
    const specs: ArraySpec[] = [];
    let bytes = 0;
    for (const a of arrays) {
      specs.push({ name: a.name, shape: a.shape, dtype: a.dtype, offset: bytes, length: a.data.length });
      bytes += a.data.byteLength;
    }
    const buf = new Uint8Array(bytes);
    for (const [i, a] of arrays.entries()) {
      buf.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), specs[i].offset);
    }
    const file = `${group}.bin`;
    writeFileSynced(path.join(tmpDir, file), buf);
    manifest.files[file] = { group, bytes, sha256: sha256(buf), arrays: specs };
  }
  writeFileSynced(path.join(tmpDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  fsyncDir(tmpDir);
  if (fs.existsSync(finalDir)) {
    // Same step saved again (e.g. stopped right after a resume); the previous one stays meanwhile.
    fs.rmSync(finalDir, { recursive: true, force: true });
  }
  fs.renameSync(tmpDir, finalDir);
  fsyncDir(root);
  writeFileAtomic.sync(path.join(root, 'LATEST'), `${name}\n`, { fsync: true });
  fsyncDir(root);
  // Keep the new one and the one before it; remove older ones.
  for (const old of listCheckpoints(root).filter((n) => n < name).slice(1)) {
    fs.rmSync(path.join(root, old), { recursive: true, force: true });
  }
  return finalDir;
}

/** Reads and verifies one checkpoint directory; throws an Error saying what is wrong. */
export function readCheckpointDir(dir: string): CheckpointContents {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new Error(`expected ${manifestFile}, found none`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch (e) {
    throw new Error(`expected a JSON manifest in ${manifestFile}, got unparsable text (${(e as Error).message})`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT || manifest.version !== VERSION) {
    throw new Error(`expected format ${CHECKPOINT_FORMAT} v${VERSION} in ${manifestFile}, got ${manifest.format} v${manifest.version}`);
  }
  const groups: Record<string, NamedArray[]> = {};
  for (const [file, info] of Object.entries(manifest.files)) {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) throw new Error(`expected ${full}, found none`);
    const buf = fs.readFileSync(full);
    if (buf.length !== info.bytes) throw new Error(`expected ${info.bytes} bytes in ${full}, got ${buf.length}`);
    if (sha256(buf) !== info.sha256) throw new Error(`expected sha256 ${info.sha256} for ${full}, got ${sha256(buf)}`);
    const copy = new Uint8Array(buf).buffer; // aligned copy
    groups[info.group] = info.arrays.map((s) => ({
      name: s.name,
      shape: s.shape,
      dtype: s.dtype,
      data: s.dtype === 'int32' ? new Int32Array(copy, s.offset, s.length) : new Float32Array(copy, s.offset, s.length),
    }));
  }
  return { step: manifest.step, meta: manifest.meta, groups };
}

/**
 * The newest checkpoint under root whose manifest and checksums verify; null when there is none.
 */
export function loadCheckpoint(root: string): LoadedCheckpoint | null {
  if (!fs.existsSync(root)) return null;
  // Newest first, not LATEST first: a crash between the rename and LATEST's update leaves a
  // complete checkpoint newer than the one LATEST names.
  const order = listCheckpoints(root);
  const skipped: string[] = [];
  for (const n of order) {
    const dir = path.join(root, n);
    try {
      return { ...readCheckpointDir(dir), dir, skipped };
    } catch (e) {
      skipped.push(`${n}: ${(e as Error).message}`);
    }
  }
  if (skipped.length > 0) throw new Error(`expected a readable checkpoint in ${root}, got only bad ones:\n  ${skipped.join('\n  ')}`);
  return null;
}
