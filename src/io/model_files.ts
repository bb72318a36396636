/**
 * A tfjs layers model on disk as tfjs-node's `file://` handler writes it — dir/model.json and
 * dir/weights.bin — for plain Node with @tensorflow/tfjs alone:
 *
 * - writing: weights.bin first, model.json last, each atomically (write-file-atomic: a temporary
 *   file, fsync, rename), so a model.json on disk always has its weights and a crash mid-save
 *   leaves the previous model whole;
 * - reading: through the checked reader (tfjs_artifacts.ts over safe_dir.ts): weight paths stay
 *   inside the directory, no link is followed, sizes are checked against the manifest before a
 *   byte is read.
 *
 * `fileSystem(path)` is the IOHandler; file_router.ts makes `model.save('file://dir')` and
 * `tf.loadLayersModel('file://dir/model.json')` reach it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import writeFileAtomic from 'write-file-atomic';
import { readModelArtifacts } from './tfjs_artifacts';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** The keys of model.json besides the topology and the manifest, as tf.io's ModelJSON names them. */
const OPTIONAL_KEYS = ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;

/** fs.statSync, or undefined where nothing is (ENOENT, or a file where a directory was expected). */
function statOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function withoutScheme(given: string): string {
  return given.startsWith('file://') ? given.slice('file://'.length) : given;
}

/**
 * Writes dir/weights.bin and then dir/model.json (creating dir), each atomically. Returns what
 * tf.io's save handlers return.
 */
export function writeModelFiles(dir: string, artifacts: tf.io.ModelArtifacts): tf.io.SaveResult {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('expected a layers model (a modelTopology object), got a graph model (a binary topology)');
  }
  const existing = statOrNone(dir);
  if (existing !== undefined && !existing.isDirectory()) throw new Error(`expected ${dir} to be a directory to save into, got a file`);
  fs.mkdirSync(dir, { recursive: true });
  const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  writeFileAtomic.sync(path.join(dir, WEIGHTS_BIN), Buffer.from(weights), { fsync: true });
  const modelJSON: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
  };
  for (const key of OPTIONAL_KEYS) if (artifacts[key] !== undefined) modelJSON[key] = artifacts[key];
  writeFileAtomic.sync(path.join(dir, MODEL_JSON), JSON.stringify(modelJSON), { fsync: true });
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: weights }) };
}

/**
 * The directory a load path names: `dir/model.json` (what tfjs-node takes) or `dir` itself.
 * Only model.json is read: tfjs-node's other forms (a list of paths, another file name) are refused.
 */
export function modelDirectory(given: string): string {
  const p = withoutScheme(given);
  const stat = statOrNone(p);
  if (stat === undefined) throw new Error(`expected a path to model.json or to its directory, got ${given}, which does not exist`);
  if (stat.isDirectory()) return p;
  if (path.basename(p) !== MODEL_JSON) throw new Error(`expected a path to model.json or to its directory, got ${given}`);
  return path.dirname(p);
}

/**
 * An IOHandler over the file system. `save` writes into the directory `location` (`file://` optional),
 * as tfjs-node does; `load` reads `location` = dir/model.json (or dir) through the checked reader.
 */
export function fileSystem(location: string): tf.io.IOHandler {
  if (typeof location !== 'string' || withoutScheme(location) === '') {
    throw new Error(`expected a path such as 'file://dir' (save) or 'file://dir/model.json' (load), got ${JSON.stringify(location)}`);
  }
  return {
    save: async (artifacts) => writeModelFiles(withoutScheme(location), artifacts),
    load: async () => readModelArtifacts(modelDirectory(location)),
  };
}
