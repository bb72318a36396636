/**
 * The weights stored in a Keras HDF5 file, per layer, in the layer's own order, in both layouts:
 *
 * - legacy (Keras 1/2 `.h5`, `save_weights` `.h5`, Keras 3 `.h5`): a group whose `layer_names`
 *   attr lists the layers; each layer group's `weight_names` attr lists its datasets
 *   ('lstm/lstm_cell/kernel:0'). Names say which weight each is.
 * - Keras 3 (`model.weights.h5` inside `.keras`, `.weights.h5`): `layers/<group>/vars/<i>` with
 *   sub-objects (`cell`, `forward_layer`, `backward_layer`, `layer`) as child groups. Groups are
 *   named snake_case(class) + a per-class counter in layer order (not by layer name; tf.keras
 *   2.13's zips skip numbers, under `_layer_checkpoint_dependencies`), and from Keras 3.6 each
 *   `vars` group carries the layer's name as an attr, which is preferred when present.
 *
 * Each dataset is checked before it is read: a float type, its declared size within the limits
 * (a running total too), and no larger than the file itself (× deflate's ratio if compressed).
 */
import { RefusedFileError } from '../io/safe_dir';
import { attrString, attrStrings, child, H5Dataset, H5Group } from './h5';

export interface StoredWeight {
  /** Its name or path in the file (for messages and matching). */
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Stored weights by layer name, each list in the file's order. */
export type StoredLayers = Map<string, StoredWeight[]>;

/** Reads datasets within a byte budget. */
export class DatasetReader {
  private total = 0;
  constructor(
    /** The file, for messages. */
    readonly source: string,
    /** The file's size: no uncompressed dataset can be larger. */
    readonly fileBytes: number,
    /** Most bytes all datasets together may hold. */
    readonly maxTotalBytes = 2 ** 31,
  ) {}

  read(ds: H5Dataset, name: string): StoredWeight {
    const refuse = (why: string): never => {
      throw new RefusedFileError(this.source, `dataset ${name}: ${why}`);
    };
    const meta = ds.metadata;
    const shape = ds.shape ?? [];
    if (meta.type !== 1 || (meta.size !== 4 && meta.size !== 8)) refuse(`expected float32 or float64 values, got HDF5 type ${meta.type} of ${meta.size} bytes`);
    const count = shape.reduce((p, s) => p * s, 1);
    const bytes = count * meta.size;
    // Stored plainly (as Keras stores), a dataset cannot hold more than the file; compressed, no
    // more than deflate's largest ratio (~1032:1) allows.
    const most = ds.filters.length === 0 ? this.fileBytes : this.fileBytes * 1032;
    if (bytes > most) refuse(`expected at most ${most} bytes (the file is ${this.fileBytes}) for shape [${shape.join(', ')}], got ${bytes} declared`);
    this.total += bytes;
    if (this.total > this.maxTotalBytes) refuse(`expected at most ${this.maxTotalBytes} bytes of weights in all, got ${this.total} so far`);
    let value: unknown;
    try {
      value = ds.value;
    } catch (e) {
      refuse(`expected ${bytes} readable bytes for shape [${shape.join(', ')}], got: ${(e as Error).message.split('\n').slice(-3).join(' ').trim()}`);
    }
    if (!(value instanceof Float32Array || value instanceof Float64Array) || value.length !== count) {
      refuse(`expected ${count} values for shape [${shape.join(', ')}], got ${value instanceof Object ? (value as { length?: number }).length : typeof value}`);
    }
    return { name, shape, values: value instanceof Float32Array ? value : Float32Array.from(value as Float64Array) };
  }
}

/** The legacy layout under `root` (a full model's `model_weights`, or a weights file's root). */
export function readLegacyWeights(root: H5Group, reader: DatasetReader): StoredLayers {
  const names = attrStrings(root, 'layer_names');
  if (names === null) throw new RefusedFileError(reader.source, `expected a layer_names attribute on ${root.path} (Keras's HDF5 weights layout), found none`);
  const out: StoredLayers = new Map();
  for (const layer of names) {
    const group = child(root, layer, 'Group');
    if (group === null) throw new RefusedFileError(reader.source, `expected group ${layer} (listed in layer_names), found none`);
    const weightNames = attrStrings(group, 'weight_names') ?? [];
    out.set(
      layer,
      weightNames.map((w) => {
        const ds = child(group, w, 'Dataset');
        if (ds === null) throw new RefusedFileError(reader.source, `expected dataset ${layer}/${w} (listed in weight_names), found none`);
        return reader.read(ds, w.replace(/:0$/, ''));
      }),
    );
  }
  return out;
}

/** snake_case of a class name, as Keras 3's naming.to_snake_case writes it. */
export function snakeCase(cls: string): string {
  return cls
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The sub-objects Keras 3 saves under a layer's group, in the order tfjs lists their weights. */
const SUB_OBJECTS: Record<string, string[]> = {
  SimpleRNN: ['cell'],
  LSTM: ['cell'],
  GRU: ['cell'],
  Bidirectional: ['forward_layer', 'backward_layer'],
  TimeDistributed: ['layer'],
};

/** A top-level layer as the config lists it: its name, class and (for wrappers) inner class. */
export interface ConfigLayer {
  name: string;
  className: string;
  innerClassName?: string;
}

function varsOf(group: H5Group, at: string, className: string, innerClassName: string | undefined, reader: DatasetReader): StoredWeight[] {
  const out: StoredWeight[] = [];
  const vars = child(group, 'vars', 'Group');
  if (vars !== null) {
    const keys = vars.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
    keys.forEach((k, i) => {
      if (Number(k) !== i) throw new RefusedFileError(reader.source, `expected ${at}/vars/0…${keys.length - 1}, got ${keys.join(', ')}`);
      const ds = child(vars, k, 'Dataset');
      if (ds === null) throw new RefusedFileError(reader.source, `expected ${at}/vars/${k} to be a dataset, got a group`);
      out.push(reader.read(ds, `${at}/vars/${k}`));
    });
  }
  for (const sub of SUB_OBJECTS[className] ?? []) {
    const g = child(group, sub, 'Group');
    if (g === null) continue;
    const subClass = sub === 'cell' ? 'Cell' : (innerClassName ?? 'Layer');
    out.push(...varsOf(g, `${at}/${sub}`, subClass, undefined, reader));
  }
  return out;
}

/** The Keras 3 layout: `layers/` (or tf.keras 2.13's `_layer_checkpoint_dependencies/`), matched to the config's layers. */
export function readKeras3Weights(root: H5Group, layers: readonly ConfigLayer[], reader: DatasetReader): StoredLayers {
  const base = child(root, 'layers', 'Group') ?? child(root, '_layer_checkpoint_dependencies', 'Group');
  if (base === null) throw new RefusedFileError(reader.source, 'expected a layers/ group (Keras 3 weights layout), found none');
  const groups = base.keys();
  const byAttr = new Map<string, string>();
  for (const g of groups) {
    const vars = child(base, `${g}/vars`, 'Group');
    const name = vars === null ? null : attrString(vars, 'name');
    if (name !== null) byAttr.set(name, g);
  }
  const out: StoredLayers = new Map();
  const seen = new Map<string, number>();
  for (const layer of layers) {
    const snake = snakeCase(layer.className);
    const ofClass = groups
      .filter((g) => g === snake || (g.startsWith(`${snake}_`) && /^\d+$/.test(g.slice(snake.length + 1))))
      .sort((a, b) => Number(a.slice(snake.length + 1) || 0) - Number(b.slice(snake.length + 1) || 0));
    const k = seen.get(snake) ?? 0;
    seen.set(snake, k + 1);
    const name = byAttr.get(layer.name) ?? ofClass[k];
    if (name === undefined) continue; // a layer with nothing saved (matching reports it if it needs weights)
    const group = child(base, name, 'Group');
    if (group !== null) out.set(layer.name, varsOf(group, `${base.path.replace(/^\//, '')}/${name}`, layer.className, layer.innerClassName, reader));
  }
  return out;
}
