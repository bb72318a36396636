/**
 * The entries of a `.keras` zip (config.json, metadata.json, model.weights.h5, perhaps assets/),
 * read into memory with yauzl from bytes already read through src/io. Nothing is extracted to
 * disk. The archive is untrusted:
 *
 * - an entry count and every entry's declared size are checked (against `maxEntryBytes` and a
 *   total bound) before a byte is inflated; yauzl stops an entry the moment it inflates past its
 *   declared size, so a zip bomb costs its compressed size, not its expansion;
 * - names must be relative paths inside the archive (yauzl refuses '../x', absolute paths and
 *   backslashes); a symbolic link or a directory entry is refused by name;
 * - every refusal is a RefusedFileError naming the file, the entry and the reason.
 */
import * as yauzl from 'yauzl';
import { RefusedFileError } from '../io/safe_dir';

export interface ZipLimits {
  /** Most bytes one entry may inflate to (default 1 GiB). */
  maxEntryBytes?: number;
  /** Most bytes all wanted entries together may inflate to (default 2 GiB). */
  maxTotalBytes?: number;
  /** Most entries the archive may list (default 256; a Keras file has 3). */
  maxEntries?: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function openZip(file: string, bytes: Uint8Array): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err) reject(new RefusedFileError(file, `expected a zip archive, got: ${err.message}`));
      else resolve(zip);
    });
  });
}

function readEntry(file: string, zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(new RefusedFileError(file, `entry ${entry.fileName}: ${err.message}`));
      const out = new Uint8Array(entry.uncompressedSize);
      let at = 0;
      stream.on('data', (chunk: Buffer) => {
        // yauzl's own size check fires too; this keeps `out` from ever being overrun.
        if (at + chunk.length > out.length) {
          stream.destroy();
          reject(new RefusedFileError(file, `entry ${entry.fileName}: expected ${out.length} bytes (as declared), got more`));
          return;
        }
        out.set(chunk, at);
        at += chunk.length;
      });
      stream.on('error', (e: Error) => reject(new RefusedFileError(file, `entry ${entry.fileName}: ${e.message}`)));
      stream.on('end', () => {
        if (at !== out.length) reject(new RefusedFileError(file, `entry ${entry.fileName}: expected ${out.length} bytes (as declared), got ${at}`));
        else resolve(out);
      });
    });
  });
}

/**
 * The bytes of the entries named in `wanted` (others are listed and checked, not inflated).
 * Missing entries are simply absent from the result.
 */
export async function readZipEntries(file: string, bytes: Uint8Array, wanted: readonly string[], limits: ZipLimits = {}): Promise<Map<string, Uint8Array>> {
  const maxEntryBytes = limits.maxEntryBytes ?? 2 ** 30;
  const maxTotalBytes = limits.maxTotalBytes ?? 2 ** 31;
  const maxEntries = limits.maxEntries ?? 256;
  const zip = await openZip(file, bytes);
  const out = new Map<string, Uint8Array>();
  try {
    if (zip.entryCount > maxEntries) throw new RefusedFileError(file, `expected at most ${maxEntries} zip entries, got ${zip.entryCount}`);
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (e: Error) => reject(e instanceof RefusedFileError ? e : new RefusedFileError(file, `expected a readable zip archive, got: ${e.message}`)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const refuse = (why: string): void => reject(new RefusedFileError(file, `entry ${JSON.stringify(entry.fileName)}: ${why}`));
        const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
        if (mode === S_IFLNK) return refuse('expected a regular file, got a symbolic link');
        if (!wanted.includes(entry.fileName)) return zip.readEntry();
        if (entry.uncompressedSize > maxEntryBytes) return refuse(`expected at most ${maxEntryBytes} bytes, got ${entry.uncompressedSize} declared`);
        total += entry.uncompressedSize;
        if (total > maxTotalBytes) return refuse(`expected at most ${maxTotalBytes} bytes in all, got ${total} declared so far`);
        if (out.has(entry.fileName)) return refuse('expected each entry once, got it twice');
        readEntry(file, zip, entry).then((data) => {
          out.set(entry.fileName, data);
          zip.readEntry();
        }, reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return out;
}
