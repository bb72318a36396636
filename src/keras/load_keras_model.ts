/**
 * `loadKerasModel(path)`: a Keras model file → tf.LayersModel, in Node, without Python.
 *
 *   loadKerasModel('model.keras')                       Keras 3 zip (config.json, metadata.json, model.weights.h5)
 *   loadKerasModel('model.h5')                          Keras 1/2/3 HDF5 full model (model_config + model_weights)
 *   loadKerasModel('model.json', { weights: 'w.h5' })   model.to_json() + a weights-only .h5 / .weights.h5
 *
 * The format is told by the file's first bytes, not its name (tf.keras 2.10–2.13 wrote HDF5 into
 * files named .keras). Files are read through src/io (no links, regular files only, sizes checked
 * before reading) and parsed in memory; nothing is extracted to disk. The weights file of an
 * architecture JSON is never guessed: it must be given.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { withOurLayers } from '../layers/load_layers_model';
import { decodeJSON, RefusedFileError, SafeDir } from '../io/safe_dir';
import { buildModel, configLayers } from './build_model';
import { attrString, child, H5File, withH5 } from './h5';
import { DatasetReader, readKeras3Weights, readLegacyWeights, StoredLayers } from './h5_weights';
import type { Json } from './layer_config';
import { assignWeights } from './match_weights';
import { parseVersion } from './version';
import { readZipEntries } from './zip';

export interface LoadKerasOptions {
  /** The weights-only HDF5 file (`save_weights`) for an architecture JSON; refused for the other formats. */
  weights?: string;
  /** Refuse files larger than this many bytes (default 1 GiB). */
  maxBytes?: number;
}

type Kind = 'zip' | 'hdf5' | 'json';

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function kindOf(file: string, bytes: Uint8Array): Kind {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  if (HDF5_MAGIC.every((b, i) => bytes[i] === b)) return 'hdf5';
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x7b) return 'json';
  throw new RefusedFileError(file, `expected a Keras model file (a .keras zip, an HDF5 .h5 or an architecture JSON), got ${bytes.length === 0 ? 'an empty file' : 'none of these (by its first bytes)'}`);
}

function readChecked(file: string, maxBytes: number | undefined): Uint8Array {
  if (typeof file !== 'string' || file === '') throw new Error(`expected a path to a Keras model file, got ${JSON.stringify(file)}`);
  return SafeDir.open(path.dirname(file)).read(path.basename(file), { maxBytes });
}

function parseJSON(file: string, bytes: Uint8Array): Record<string, Json> {
  const v = decodeJSON(file, bytes);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RefusedFileError(file, 'expected a JSON object');
  return v as Record<string, Json>;
}

/** The weights of an HDF5 weights file in either layout. */
function weightsIn(file: H5File, reader: DatasetReader, model: Json): StoredLayers {
  const full = child(file, 'model_weights', 'Group'); // a full-model .h5 given as the weights
  if (full !== null) return readLegacyWeights(full, reader);
  if (attrString(file, 'layer_names') !== null || (file.attrs as Record<string, unknown>).layer_names !== undefined) return readLegacyWeights(file, reader);
  if (child(file, 'layers', 'Group') !== null || child(file, '_layer_checkpoint_dependencies', 'Group') !== null) return readKeras3Weights(file, configLayers(model), reader);
  throw new RefusedFileError(reader.source, 'expected Keras weights (a layer_names attribute, or a layers/ group), found neither');
}

async function fromZip(file: string, bytes: Uint8Array): Promise<tf.LayersModel> {
  const entries = await readZipEntries(file, bytes, ['config.json', 'metadata.json', 'model.weights.h5']);
  const need = (name: string): Uint8Array => {
    const e = entries.get(name);
    if (e === undefined) throw new RefusedFileError(file, `expected a ${name} entry (a Keras 3 .keras file), found none`);
    return e;
  };
  const config = parseJSON(`${file}:config.json`, need('config.json'));
  const metadata = entries.has('metadata.json') ? parseJSON(`${file}:metadata.json`, need('metadata.json')) : {};
  const version = parseVersion(metadata.keras_version, config);
  const model = await buildModel(file, version, config, withOurLayers);
  const weightsBytes = need('model.weights.h5');
  const reader = new DatasetReader(`${file}:model.weights.h5`, weightsBytes.length);
  const stored = await withH5(reader.source, weightsBytes, (h5) => weightsIn(h5, reader, config));
  return assigned(file, model, stored);
}

function assigned(file: string, model: tf.LayersModel, stored: StoredLayers): tf.LayersModel {
  try {
    assignWeights(file, model, stored);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

async function fromH5(file: string, bytes: Uint8Array): Promise<tf.LayersModel> {
  const reader = new DatasetReader(file, bytes.length);
  const read = await withH5(file, bytes, (h5) => {
    const text = attrString(h5, 'model_config');
    if (text === null) {
      throw new RefusedFileError(file, 'expected a full model (a model_config attribute), got a weights-only HDF5 file: pass its architecture, loadKerasModel(architecture.json, { weights })');
    }
    const config = decodeJSON(`${file}:model_config`, new TextEncoder().encode(text)) as Json;
    const weightsRoot = child(h5, 'model_weights', 'Group');
    if (weightsRoot === null) throw new RefusedFileError(file, 'expected a model_weights group beside model_config, found none');
    return { config, version: parseVersion(attrString(h5, 'keras_version'), config), stored: readLegacyWeights(weightsRoot, reader) };
  });
  return assigned(file, await buildModel(file, read.version, read.config, withOurLayers), read.stored);
}

async function fromJSON(file: string, bytes: Uint8Array, options: LoadKerasOptions): Promise<tf.LayersModel> {
  if (options.weights === undefined) {
    throw new Error(`${file}: expected { weights: path to its weights .h5 } with an architecture JSON (the weights file is never guessed), got none`);
  }
  const config = parseJSON(file, bytes);
  const weightsBytes = readChecked(options.weights, options.maxBytes);
  if (kindOf(options.weights, weightsBytes) !== 'hdf5') throw new RefusedFileError(options.weights, 'expected an HDF5 weights file (save_weights), got another format');
  const version = parseVersion(config.keras_version, config);
  const model = await buildModel(file, version, config, withOurLayers);
  const reader = new DatasetReader(options.weights, weightsBytes.length);
  let stored: StoredLayers;
  try {
    stored = await withH5(options.weights, weightsBytes, (h5) => weightsIn(h5, reader, config));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return assigned(file, model, stored);
}

/**
 * Loads a Keras model file (format by content: .keras zip, HDF5 full model, or architecture JSON
 * with `options.weights`) as a tf.LayersModel whose SimpleRNN / LSTM / GRU layers are ours. It
 * computes what the Keras version that saved it computed (see README, "Keras models").
 */
export async function loadKerasModel(file: string, options: LoadKerasOptions = {}): Promise<tf.LayersModel> {
  const bytes = readChecked(file, options.maxBytes);
  const kind = kindOf(file, bytes);
  if (kind !== 'json' && options.weights !== undefined) {
    throw new Error(`${file}: expected no weights option (a ${kind === 'zip' ? '.keras' : 'full-model HDF5'} file holds its own weights), got ${JSON.stringify(options.weights)}`);
  }
  if (kind === 'zip') return fromZip(file, bytes);
  if (kind === 'hdf5') return fromH5(file, bytes);
  return fromJSON(file, bytes, options);
}
