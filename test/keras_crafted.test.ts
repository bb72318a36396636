/**
 * Untrusted Keras files: crafted zips and HDF5 files are refused quickly, each with a message
 * naming the file and the reason, and nothing is written to disk. Made here in a temp directory
 * (zips with fflate, HDF5 with h5wasm, then patched) or cut from a real file in ../shared.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { zipSync } from 'fflate';
import { buildH5, child, withH5 } from '../src/keras/h5';
import { DatasetReader, readLegacyWeights } from '../src/keras/h5_weights';
import { loadKerasModel } from '../src/keras/load_keras_model';

const SHARED = path.join(__dirname, '..', '..', 'shared', 'keras_files');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-crafted-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

const CONFIG = new TextEncoder().encode(JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [] } }));

/** Sets the declared uncompressed size of every entry (local header + central directory). */
function declareSize(zip: Uint8Array, size: number): Uint8Array {
  const b = Buffer.from(zip);
  for (let i = 0; i + 4 <= b.length; i++) {
    const sig = b.readUInt32LE(i);
    if (sig === 0x04034b50) b.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50) b.writeUInt32LE(size, i + 24);
  }
  return new Uint8Array(b);
}

describe('crafted .keras zips', () => {
  it('a zip bomb declaring more than the bound is refused before inflating', async () => {
    const zip = declareSize(zipSync({ 'config.json': new Uint8Array(1 << 20) }, { level: 9 }), 2 ** 31);
    const file = write('bomb.keras', zip);
    await expect(loadKerasModel(file)).rejects.toThrow(/bomb\.keras: entry "config\.json": expected at most 1073741824 bytes, got 2147483648 declared/);
  });

  it('a zip bomb that lies about its size is stopped as soon as it inflates past the declared size', async () => {
    const zip = declareSize(zipSync({ 'config.json': new Uint8Array(8 << 20) }, { level: 9 }), 1000);
    const file = write('liar.keras', zip);
    await expect(loadKerasModel(file)).rejects.toThrow(/liar\.keras: entry config\.json: .*(too many bytes|expected 1000 bytes)/);
  });

  it("an entry named ../x is refused", async () => {
    const file = write('escape.keras', zipSync({ '../x': new Uint8Array([1, 2, 3]), 'config.json': CONFIG }, { level: 0 }));
    await expect(loadKerasModel(file)).rejects.toThrow(/escape\.keras: .*invalid relative path: \.\.\/x/);
  });

  it('a truncated .keras is refused', async () => {
    const real = fs.readFileSync(path.join(SHARED, 'k3_333_lstm_aurora', 'lstm_model.keras'));
    const file = write('cut.keras', new Uint8Array(real.subarray(0, real.length >> 1)));
    await expect(loadKerasModel(file)).rejects.toThrow(/cut\.keras: expected a zip archive, got: end of central directory record signature not found/i);
  });
});

describe('crafted HDF5 files', () => {
  it('a truncated .h5 is refused', async () => {
    const real = fs.readFileSync(path.join(SHARED, 'k222_lstm_galalen', 'lstm_model.h5'));
    const file = write('cut.h5', new Uint8Array(real.subarray(0, real.length - 1000)));
    await expect(loadKerasModel(file)).rejects.toThrow(/cut\.h5: expected an HDF5 file HDF5 can open, got: truncated file/);
  });

  it('a dataset shorter than its declared shape is refused before it is read', async () => {
    const config = JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 1, batch_input_shape: [null, 7919] } }] } });
    const bytes = await buildH5((f) => {
      f.create_attribute('model_config', config);
      f.create_attribute('keras_version', '2.10.0');
      const mw = f.create_group('model_weights');
      mw.create_attribute('layer_names', ['dense']);
      const g = mw.create_group('dense');
      g.create_attribute('weight_names', ['dense/kernel:0', 'dense/bias:0']);
      const d = g.create_group('dense');
      d.create_dataset({ name: 'kernel:0', data: new Float32Array(7919), shape: [7919, 1], dtype: '<f' });
      d.create_dataset({ name: 'bias:0', data: new Float32Array(1), shape: [1], dtype: '<f' });
    });
    // Declare 1000x the rows: every 8-byte little-endian 7919 (the dataspace's dims) becomes 7919000.
    const b = Buffer.from(bytes);
    for (let i = 0; i + 8 <= b.length; i++) if (b.readBigUInt64LE(i) === 7919n) b.writeBigUInt64LE(7919000n, i);
    const file = write('short.h5', new Uint8Array(b));
    // Our size check, or HDF5's own header checksum where the format version has one.
    await expect(loadKerasModel(file)).rejects.toThrow(/short\.h5: (dataset dense\/kernel: expected at most \d+ bytes \(the file is \d+\) for shape \[7919000, 1\], got 31676000 declared|HDF5 refused it: (invalid dataset size, likely file corruption|.*incorrect metadata checksum))/);
  });
});

describe('the dataset checks themselves', () => {
  it('a dataset declaring more bytes than its file holds is refused before it is read', async () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(SHARED, 'k222_lstm_galalen', 'lstm_model.h5')));
    // The same reader, told the file is 1000 bytes: the kernel's declared 320000 bytes cannot be in it.
    const reader = new DatasetReader('lstm_model.h5', 1000);
    await expect(withH5('lstm_model.h5', bytes, (f) => readLegacyWeights(child(f, 'model_weights', 'Group')!, reader))).rejects.toThrow(
      /lstm_model\.h5: dataset lstm_3\/kernel: expected at most 1000 bytes \(the file is 1000\) for shape \[200, 400\], got 320000 declared/,
    );
  });

  it('a total above the bound is refused', async () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(SHARED, 'k222_lstm_galalen', 'lstm_model.h5')));
    const reader = new DatasetReader('lstm_model.h5', bytes.length, 400000);
    await expect(withH5('lstm_model.h5', bytes, (f) => readLegacyWeights(child(f, 'model_weights', 'Group')!, reader))).rejects.toThrow(
      /expected at most 400000 bytes of weights in all, got \d+ so far/,
    );
  });
});

describe('what is not a regular file', () => {
  it('a symbolic link to a directory is refused', async () => {
    fs.mkdirSync(path.join(dir, 'real_dir'));
    fs.symlinkSync(path.join(dir, 'real_dir'), path.join(dir, 'linked.keras'));
    await expect(loadKerasModel(path.join(dir, 'linked.keras'))).rejects.toThrow(/linked\.keras: expected a regular file, got a symbolic link/);
  });

  it('a directory is refused', async () => {
    await expect(loadKerasModel(path.join(dir, 'real_dir'))).rejects.toThrow(/real_dir: expected a regular file, got a directory/);
  });
});
