/**
 * Checkpoints that survive a crash at any moment, and that are read as untrusted input.
 *
 *   checkpoint/
 *     LATEST                 the name of the newest complete checkpoint (replaced atomically)
 *     ckpt-00000120/         one complete checkpoint
 *       manifest.json        step, metadata (RNG and data state, config), and per binary file:
 *                            byte length, sha256, and the arrays it holds (name, shape, dtype, offset)
 *       manifest.sha256      the manifest's sha256, in `sha256sum -c` format
 *       model.bin …          one file <group>.bin per group of arrays (model weights, optimizer state)
 *     ckpt-00000100/         the previous one, kept until a newer one is complete
 *
 * Writing: every file goes into a fresh temporary directory, each fsync'ed, the manifest and its
 * checksum last; the directory is fsync'ed and renamed to ckpt-<step>; then LATEST is replaced
 * (temp file, fsync, rename); only then are older checkpoints removed (all but the previous one).
 * A crash before the rename leaves a temporary directory that is ignored and cleaned up; a crash
 * after it leaves a complete checkpoint.
 *
 * Reading takes the newest checkpoint that passes every check, through SafeDir (no links, no
 * path outside the checkpoint, sizes checked before reading): the manifest's checksum; its
 * structure (step a non-negative integer equal to the directory's, files named <group>.bin
 * directly inside, dtypes float32 or int32, each array's length the product of its shape, the
 * arrays laid end to end filling exactly the declared bytes); each file's size and sha256; and
 * whatever the caller's `accept` adds (the trainer: that the arrays fit its model). Version 1
 * checkpoints, written before manifests had a checksum, are read with all the other checks.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import writeFileAtomic from 'write-file-atomic';
import { JsonField } from '../io/json_field';
import { RefusedFileError, SafeDir } from '..';
import { decodeJSON, DEFAULT_MAX_BYTES } from '../io/safe_dir'; // app-only: the run folder's files get the library's own checks

export const CHECKPOINT_FORMAT = 'tfjs-rnn-checkpoint';
const VERSION = 2;
const MANIFEST = 'manifest.json';
const MANIFEST_SUM = 'manifest.sha256';
/** Manifests hold metadata, not weights: a few KiB. */
const MANIFEST_MAX_BYTES = 16 * 2 ** 20;
const NAME = /^ckpt-\d{8,}$/;
const GROUP = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_RANK = 16;
const DTYPES = ['float32', 'int32'] as const;

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

interface FileSpec {
  group: string;
  bytes: number;
  sha256: string;
  arrays: ArraySpec[];
}

interface Manifest {
  format: string;
  version: number;
  step: number;
  meta: Record<string, unknown>;
  files: Record<string, FileSpec>;
}

export interface LoadedCheckpoint extends CheckpointContents {
  /** The directory it was read from. */
  dir: string;
  /** Newer checkpoints that were skipped because they did not pass the checks, with the reason. */
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

function sha256(buf: Uint8Array | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** The sidecar line for a manifest's text: `sha256sum -c manifest.sha256` checks it. */
export function manifestSumLine(manifestText: Uint8Array | string): string {
  return `${sha256(manifestText)}  ${MANIFEST}\n`;
}

/** Names of the complete checkpoints among names, newest first. */
function newestFirst(names: string[]): string[] {
  return names
    .filter((n) => NAME.test(n))
    .sort((a, b) => Number(b.slice(5)) - Number(a.slice(5)));
}

function removeStaleTemps(root: string): void {
  for (const n of fs.readdirSync(root)) {
    // .tmp-*: our half-written checkpoints; LATEST.*: write-file-atomic's temporary files.
    if (n.startsWith('.tmp-') || n.startsWith('LATEST.')) fs.rmSync(path.join(root, n), { recursive: true, force: true });
  }
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
  const manifestText = JSON.stringify(manifest, null, 1);
  writeFileSynced(path.join(tmpDir, MANIFEST), manifestText);
  writeFileSynced(path.join(tmpDir, MANIFEST_SUM), manifestSumLine(manifestText));
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
  for (const old of newestFirst(fs.readdirSync(root)).filter((n) => Number(n.slice(5)) < contents.step).slice(1)) {
    fs.rmSync(path.join(root, old), { recursive: true, force: true });
  }
  return finalDir;
}

function parseArray(f: JsonField, fileBytes: number): ArraySpec {
  const shape = f.get('shape').items(MAX_RANK).map((d) => d.int());
  const length = f.get('length').int(0, Math.floor(fileBytes / 4));
  // A float product: exact up to 2^53, and above that still larger than any length allowed here.
  const product = shape.reduce((p, d) => p * d, 1);
  if (product !== length) f.get('length').fail(`${product}, the product of shape [${shape}]`);
  return { name: f.get('name').string(/^.{1,256}$/), shape, dtype: f.get('dtype').oneOf(DTYPES), offset: f.get('offset').int(0, fileBytes), length };
}

/** The manifest's fields, checked (see the header); throws RefusedFileError. */
function parseManifest(file: string, doc: unknown, dirName: string): Manifest {
  const m = new JsonField(file, doc);
  const format = m.get('format').oneOf([CHECKPOINT_FORMAT]);
  const version = m.get('version').int(1, VERSION);
  const step = m.get('step').int(0);
  if (checkpointName(step) !== dirName) m.get('step').fail(`${Number(dirName.slice(5))} (the step in the directory's name ${dirName})`);
  const meta = m.get('meta').object();
  const files: Record<string, FileSpec> = {};
  const groups = new Set<string>();
  let total = 0;
  for (const [name, f] of m.get('files').entries()) {
    const group = f.get('group').string(GROUP);
    if (name !== `${group}.bin`) f.fail(`the entry of ${group}.bin (files are named after their group)`);
    if (groups.has(group)) f.get('group').fail('a group not already listed');
    groups.add(group);
    const bytes = f.get('bytes').int(0, DEFAULT_MAX_BYTES - total);
    total += bytes;
    const arrays: ArraySpec[] = [];
    let end = 0;
    for (const a of f.get('arrays').items()) {
      const spec = parseArray(a, bytes);
      if (spec.offset !== end) a.get('offset').fail(`${end} (arrays are laid end to end)`);
      if (arrays.some((b) => b.name === spec.name)) a.get('name').fail(`a name not already used in ${group}`);
      arrays.push(spec);
      end += spec.length * 4;
    }
    if (end !== bytes) f.get('bytes').fail(`${end}, the bytes its arrays take`);
    files[name] = { group, bytes, sha256: f.get('sha256').string(/^[0-9a-f]{64}$/), arrays };
  }
  return { format, version, step, meta, files };
}

/** Reads and checks one checkpoint directory; throws a RefusedFileError saying what is wrong. */
export function readCheckpointDir(dir: SafeDir | string): CheckpointContents {
  const d = typeof dir === 'string' ? SafeDir.open(dir) : dir;
  const manifestBytes = d.read(MANIFEST, { maxBytes: MANIFEST_MAX_BYTES });
  const hasSum = d.exists(MANIFEST_SUM, 'file');
  if (hasSum) {
    const line = d.readText(MANIFEST_SUM, { maxBytes: 1024 });
    if (line !== manifestSumLine(manifestBytes)) {
      throw new RefusedFileError(d.display(MANIFEST), `expected sha256 ${line.slice(0, 64)} (from ${MANIFEST_SUM}), got ${sha256(manifestBytes)}`);
    }
  }
  const manifest = parseManifest(d.display(MANIFEST), decodeJSON(d.display(MANIFEST), manifestBytes), path.basename(d.path));
  if (!hasSum && manifest.version >= 2) {
    throw new RefusedFileError(d.display(MANIFEST_SUM), `expected the checksum of a version ${manifest.version} manifest, found none`);
  }
  const groups: Record<string, NamedArray[]> = {};
  for (const [file, info] of Object.entries(manifest.files)) {
    const buf = d.read(file, { bytes: info.bytes });
    const got = sha256(buf);
    if (got !== info.sha256) throw new RefusedFileError(d.display(file), `expected sha256 ${info.sha256}, got ${got}`);
    groups[info.group] = info.arrays.map((s) => ({
      name: s.name,
      shape: s.shape,
      dtype: s.dtype,
      data: s.dtype === 'int32' ? new Int32Array(buf.buffer, s.offset, s.length) : new Float32Array(buf.buffer, s.offset, s.length),
    }));
  }
  return { step: manifest.step, meta: manifest.meta, groups };
}

/**
 * The newest checkpoint under root that passes every check and `accept` (which throws to refuse
 * one); null when root holds no checkpoint. Throws when there are checkpoints but none passes.
 * Reads only; never writes.
 */
export function loadCheckpoint(root: SafeDir | string, accept?: (ck: CheckpointContents, dir: string) => void): LoadedCheckpoint | null {
  if (typeof root === 'string' && !fs.existsSync(root)) return null;
  const r = typeof root === 'string' ? SafeDir.open(root) : root;
  // Newest first, not LATEST first: a crash between the rename and LATEST's update leaves a
  // complete checkpoint newer than the one LATEST names.
  const skipped: string[] = [];
  for (const n of newestFirst(r.names())) {
    try {
      const contents = readCheckpointDir(r.subdir(n));
      accept?.(contents, r.display(n));
      return { ...contents, dir: r.display(n), skipped };
    } catch (e) {
      // Paths inside the checkpoint are enough once its name leads the line.
      const message = (e as Error).message.replace(`${r.display(n)}/`, '').replace(`${r.display(n)}: `, '');
      skipped.push(`${n}: ${message}`);
    }
  }
  if (skipped.length > 0) throw new RefusedFileError(r.path, `expected a readable checkpoint, got only bad ones:\n  ${skipped.join('\n  ')}`);
  return null;
}
