/**
 * HDF5 through h5wasm (the HDF5 C library compiled to WebAssembly, maintained by NIST): the one
 * place this package touches HDF5. Files are handed over as bytes already read through src/io and
 * live only in h5wasm's in-memory file system for the length of one call; nothing reaches disk.
 *
 * h5wasm ships ES modules only; its self-contained build (`dist/iife/h5wasm.js`, the wasm binary
 * inlined) is a plain script, which we evaluate once, so the same code runs under Node's CommonJS,
 * ts-node and jest without flags, and without network. HDF5 errors are turned into exceptions
 * (h5wasm's throwing error handler) instead of being printed to stderr.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as H5 from 'h5wasm';
import { RefusedFileError } from '../io/safe_dir';

type H5Lib = typeof H5;
export type H5File = H5.File;
export type H5Group = H5.Group;
export type H5Dataset = H5.Dataset;

let loading: Promise<H5Lib> | null = null;

/** Where npm put h5wasm's self-contained build (its exports map lists ES module entries only). */
function bundlePath(): string {
  for (const dir of require.resolve.paths('h5wasm') ?? []) {
    const file = path.join(dir, 'h5wasm', 'dist', 'iife', 'h5wasm.js');
    if (fs.existsSync(file)) return file;
  }
  throw new Error('expected the h5wasm package (a dependency of tfjs-rnn) to be installed, found none: run npm install');
}

/** h5wasm, ready (its wasm compiled: ~0.4 s the first time in a process, then free). */
export function h5wasm(): Promise<H5Lib> {
  if (loading === null) {
    loading = (async () => {
      const source = fs.readFileSync(bundlePath(), 'utf8');
      // The bundle is `var h5wasm = (() => {...})();`: evaluated in a function scope of its own.
      const lib = new Function(`${source}\nreturn h5wasm;`)() as H5Lib;
      const module = await lib.ready;
      module.activate_throwing_error_handler();
      return lib;
    })();
  }
  return loading;
}

let counter = 0;

/** The innermost line of an HDF5 error stack (the one that says what was wrong with the file). */
export function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').filter((l) => /^\s*#\d+:/.test(l));
  const last = lines.length > 0 ? lines[lines.length - 1] : text.split('\n')[0];
  const m = /\bin [^(]+\(\): (.*)$/.exec(last);
  return (m ? m[1] : last).trim();
}

/**
 * Runs use(file) on bytes opened read-only as HDF5; the in-memory copy is removed afterwards.
 * A file HDF5 cannot open (truncated, not HDF5) is a RefusedFileError naming `name`.
 */
export async function withH5<T>(name: string, bytes: Uint8Array, use: (file: H5File) => T): Promise<T> {
  const lib = await h5wasm();
  const FS = lib.FS as unknown as { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
  const memPath = `/tfjs_rnn_read_${process.pid}_${counter++}.h5`;
  FS.writeFile(memPath, bytes);
  let file: H5File | null = null;
  try {
    try {
      file = new lib.File(memPath, 'r');
    } catch (e) {
      throw new RefusedFileError(name, `expected an HDF5 file HDF5 can open, got: ${hdf5Reason(e)}`);
    }
    try {
      return use(file);
    } catch (e) {
      if (e instanceof RefusedFileError) throw e;
      const text = (e as Error).message;
      throw new RefusedFileError(name, text.includes('HDF5-DIAG') ? `HDF5 refused it: ${hdf5Reason(e)}` : text);
    }
  } finally {
    if (file !== null) file.close();
    FS.unlink(memPath);
  }
}

/** Builds an HDF5 file with write(file) and returns its bytes (never touching disk). */
export async function buildH5(write: (file: H5File) => void): Promise<Uint8Array> {
  const lib = await h5wasm();
  const FS = lib.FS as unknown as { readFile(p: string): Uint8Array; unlink(p: string): void };
  const memPath = `/tfjs_rnn_write_${process.pid}_${counter++}.h5`;
  // h5py's default (libver 'earliest'): what Keras's own files are, and what old readers open.
  const file = new lib.File(memPath, 'w', { libver: ['earliest', 'latest'] });
  try {
    write(file);
  } finally {
    file.close();
  }
  try {
    return FS.readFile(memPath).slice();
  } finally {
    FS.unlink(memPath);
  }
}

/** A string attribute (fixed-length bytes or variable-length, as h5py writes either), or null. */
export function attrString(obj: H5Group | H5Dataset, name: string): string | null {
  const attr = (obj.attrs as Record<string, H5.Attribute | undefined>)[name];
  if (attr === undefined) return null;
  const v = attr.value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return null;
}

/** A list-of-strings attribute (h5py's `layer_names`, `weight_names`), or null when absent. */
export function attrStrings(obj: H5Group, name: string): string[] | null {
  const attr = (obj.attrs as Record<string, H5.Attribute | undefined>)[name];
  if (attr === undefined) return null;
  const v = attr.value;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map((s) => (s instanceof Uint8Array ? new TextDecoder().decode(s) : String(s)));
  if (v instanceof Float32Array || v instanceof Float64Array) return v.length === 0 ? [] : null; // h5py's empty list
  return null;
}

/** The child at rel of group, or null; a group where a dataset is expected (and vice versa) is null too. */
export function child<K extends 'Group' | 'Dataset'>(group: H5Group, rel: string, kind: K): (K extends 'Group' ? H5Group : H5Dataset) | null {
  let entity: H5.Entity | null;
  try {
    entity = group.get(rel);
  } catch (e) {
    // A link that exists but cannot be opened is damage, not absence.
    if (!/doesn't exist|does not exist|not found/i.test(hdf5Reason(e))) throw new Error(`${group.path}/${rel}: HDF5 cannot open it: ${hdf5Reason(e)}`);
    return null;
  }
  if (entity == null || (entity as { type?: string }).type !== kind) return null;
  return entity as K extends 'Group' ? H5Group : H5Dataset;
}
