/**
 * The one way this package reads files it did not write in the same call: checkpoints, exported
 * models, a run's config.json and metrics, and (through `tfjs_artifacts.ts`) tfjs model.json with
 * its weight files. Files travel between people and machines, so a manifest's paths are treated
 * as untrusted:
 *
 * - a path is relative, with '/' separators, and stays inside the directory: no absolute path, no
 *   '..', no empty or backslashed part;
 * - no symbolic link is followed, neither the file itself nor any directory on the way to it
 *   (checked with lstat, then opened with O_NOFOLLOW and the opened file compared to what lstat
 *   saw, so a link swapped in between is caught too);
 * - only regular files are opened (never a FIFO, a device such as /dev/zero, a socket), and
 *   opened non-blocking, so nothing can make a read wait;
 * - the size is checked on the open file before a byte is read: equal to the size a manifest
 *   declares, and below an upper bound; exactly that many bytes are read, into one buffer.
 *
 * The directory itself is the caller's choice (a --resume DIR may be a link the user made); what
 * lies inside it is not. Every refusal is a RefusedFileError naming the file and the reason.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Default upper bound on one file read (1 GiB): far above our checkpoints, far below harm. */
export const DEFAULT_MAX_BYTES = 2 ** 30;

/** A file we would not read, or whose content is not what its format says. */
export class RefusedFileError extends Error {
  constructor(
    /** The path as the caller would look for it. */
    readonly file: string,
    /** What was expected and what was found. */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'RefusedFileError';
  }
}

export interface ReadLimits {
  /** The exact size the manifest declares; a file of any other size is refused. */
  bytes?: number;
  /** Refuse anything larger (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
}

// O_NOFOLLOW and O_NONBLOCK are POSIX; where they do not exist the lstat checks still hold.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

function describeKind(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return 'a symbolic link (links are not followed)';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a regular file';
}

function lstatOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** A directory whose files are read only by checked relative paths. */
export class SafeDir {
  private constructor(
    /** Absolute path of the directory. */
    readonly path: string,
  ) {}

  /** Opens dir (which must be a directory; a link given here is the caller's own choice). */
  static open(dir: string): SafeDir {
    const abs = path.resolve(dir);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new RefusedFileError(abs, 'expected a directory, found none');
    }
    if (!stat.isDirectory()) throw new RefusedFileError(abs, `expected a directory, got ${describeKind(stat)}`);
    return new SafeDir(abs);
  }

  /** dir/rel as a person would type it. */
  display(rel: string): string {
    return path.join(this.path, rel);
  }

  /** The parts of rel, after checking that it names something inside this directory. */
  private parts(rel: unknown): string[] {
    const refuse = (why: string): never => {
      throw new RefusedFileError(this.path, `expected a relative path inside the directory, got ${JSON.stringify(rel)}${why}`);
    };
    if (typeof rel !== 'string' || rel === '' || rel.includes('\0')) return refuse('');
    if (path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel)) refuse(' (absolute)');
    if (rel.includes('\\')) refuse(' (backslashes are not separators here)');
    const parts = rel.split('/').filter((p) => p !== '.');
    if (parts.includes('..')) refuse(" (it leaves the directory through '..')");
    if (parts.length === 0 || parts.includes('')) refuse(' (an empty part)');
    return parts;
  }

  private refuse(rel: string, reason: string): never {
    throw new RefusedFileError(this.display(rel), reason);
  }

  /**
   * Walks to rel without following links; returns its lstat (null when missing). Every directory
   * on the way must be a real directory.
   */
  private walk(rel: string): fs.Stats | null {
    const parts = this.parts(rel);
    let at = this.path;
    for (const [i, part] of parts.entries()) {
      at = path.join(at, part);
      const stat = lstatOrNull(at);
      if (stat === null) return null;
      if (i === parts.length - 1) return stat;
      if (!stat.isDirectory()) this.refuse(rel, `expected ${at} to be a directory, got ${describeKind(stat)}`);
    }
    return null;
  }

  /**
   * Whether rel exists; throws a RefusedFileError when it exists as anything but `want` (a link to
   * a directory is not a directory here).
   */
  exists(rel: string, want: 'file' | 'directory'): boolean {
    const stat = this.walk(rel);
    if (stat === null) return false;
    if (want === 'file' ? !stat.isFile() : !stat.isDirectory()) this.refuse(rel, `expected ${want === 'file' ? 'a regular file' : 'a directory'}, got ${describeKind(stat)}`);
    return true;
  }

  /** The names in this directory (unchecked: each is checked when it is opened). */
  names(): string[] {
    return fs.readdirSync(this.path);
  }

  /** The directory rel inside this one; a link or anything else is refused. */
  subdir(rel: string): SafeDir {
    const stat = this.walk(rel);
    if (stat === null) this.refuse(rel, 'expected a directory, found none');
    if (!stat.isDirectory()) this.refuse(rel, `expected a directory, got ${describeKind(stat)}`);
    return new SafeDir(path.join(this.path, ...this.parts(rel)));
  }

  /** Size of the regular file rel (refusing links and special files). */
  size(rel: string): number {
    const stat = this.walk(rel);
    if (stat === null) this.refuse(rel, 'expected a file, found none');
    if (!stat.isFile()) this.refuse(rel, `expected a regular file, got ${describeKind(stat)}`);
    return stat.size;
  }

  /**
   * The bytes of rel, in a buffer of their own (offset 0, so typed arrays can view it), after the
   * checks above; the size is checked on the open file before anything is allocated.
   */
  read(rel: string, limits: ReadLimits = {}): Uint8Array {
    const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
    const seen = this.walk(rel);
    if (seen === null) this.refuse(rel, 'expected a file, found none');
    if (!seen.isFile()) this.refuse(rel, `expected a regular file, got ${describeKind(seen)}`);
    const full = path.join(this.path, ...this.parts(rel));
    let fd: number;
    try {
      fd = fs.openSync(full, OPEN_FLAGS);
    } catch (e) {
      this.refuse(rel, `expected a readable regular file, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} on open`);
    }
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile() || stat.ino !== seen.ino || stat.dev !== seen.dev) {
        this.refuse(rel, `expected the regular file checked a moment ago, got ${describeKind(stat)} in its place`);
      }
      if (limits.bytes !== undefined && stat.size !== limits.bytes) this.refuse(rel, `expected ${limits.bytes} bytes (as declared), got ${stat.size}`);
      if (stat.size > maxBytes) this.refuse(rel, `expected at most ${maxBytes} bytes, got ${stat.size}`);
      const buf = new Uint8Array(new ArrayBuffer(stat.size));
      let off = 0;
      while (off < buf.length) {
        const n = fs.readSync(fd, buf, off, buf.length - off, off);
        if (n === 0) this.refuse(rel, `expected ${buf.length} bytes, got ${off} (the file shrank while being read)`);
        off += n;
      }
      return buf;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** rel as UTF-8 text (invalid UTF-8 is refused). */
  readText(rel: string, limits: ReadLimits = {}): string {
    return decodeText(this.display(rel), this.read(rel, limits));
  }

  /** rel parsed as JSON (unparsable text is refused, naming the file). */
  readJSON(rel: string, limits: ReadLimits = {}): unknown {
    return decodeJSON(this.display(rel), this.read(rel, limits));
  }
}

/** bytes read from file as UTF-8; invalid UTF-8 is a RefusedFileError. */
export function decodeText(file: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RefusedFileError(file, 'expected UTF-8 text, got invalid bytes');
  }
}

/** bytes read from file as JSON; unparsable text is a RefusedFileError. */
export function decodeJSON(file: string, bytes: Uint8Array): unknown {
  const text = decodeText(file, bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RefusedFileError(file, `expected JSON, got unparsable text (${(e as Error).message})`);
  }
}
