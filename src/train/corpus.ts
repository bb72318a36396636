/**
 * The chars task's text, read through the checked reader (only a regular file, never a FIFO or a
 * device, at most MAX_TEXT_BYTES, valid UTF-8) and its sha256. A run keeps a copy of it in its
 * folder (RUN_FILES.text), so that a resume reads nothing outside the folder.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { RefusedFileError, SafeDir } from '..';
import { decodeText } from '../io/safe_dir'; // app-only: the corpus gets the library's own UTF-8 check
import { MAX_TEXT_BYTES } from './ranges';

export interface Corpus {
  text: string;
  bytes: Uint8Array;
  sha256: string;
}

/** rel inside dir as a corpus; a RefusedFileError names the file and the reason. */
export function readCorpus(dir: SafeDir, rel: string): Corpus {
  const bytes = dir.read(rel, { maxBytes: MAX_TEXT_BYTES });
  return { text: decodeText(dir.display(rel), bytes), bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * A file the user named (--text, or the shipped default): a link they made is their choice and is
 * followed to its target; what it points at is read with the checks above.
 */
export function readCorpusFile(file: string): Corpus {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    throw new RefusedFileError(file, 'expected a readable file, found none');
  }
  return readCorpus(SafeDir.open(path.dirname(real)), path.basename(real));
}
