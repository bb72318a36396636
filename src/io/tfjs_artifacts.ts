/**
 * A tfjs model directory (model.json + the weight files its weightsManifest names, as written by
 * `model.save`, tfjs-converter or our export), read through SafeDir: every weight path is
 * relative to model.json's directory and stays inside it, no link is followed, and each group's
 * files must hold exactly the bytes its weight specs declare (Σ size(shape) · bytes per dtype)
 * before any of them is read. Weight names appear once and float values are finite (weight_checks.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { JsonField } from './json_field';
import { DEFAULT_MAX_BYTES, RefusedFileError, SafeDir } from './safe_dir';
import { checkWeights } from './weight_checks';

const MODEL_JSON_MAX_BYTES = 64 * 2 ** 20;
const MAX_RANK = 16;
const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 } as const;
const QUANTIZED_BYTES = { uint8: 1, uint16: 2, float16: 2 } as const;
type WeightDtype = keyof typeof DTYPE_BYTES;
type QuantizedDtype = keyof typeof QUANTIZED_BYTES;

function parseWeight(f: JsonField): { spec: tf.io.WeightsManifestEntry; bytes: number } {
  const shape = f.get('shape').items(MAX_RANK).map((d) => d.int());
  const dtype = f.get('dtype').oneOf(Object.keys(DTYPE_BYTES) as WeightDtype[]);
  const spec: tf.io.WeightsManifestEntry = { name: f.get('name').string(), shape, dtype };
  // model.save({ includeOptimizer: true }) marks the optimizer's weights; tf.loadLayersModel needs the mark.
  if (f.has('group')) spec.group = f.get('group').oneOf(['model', 'optimizer'] as const);
  let perValue: number = DTYPE_BYTES[dtype];
  if (f.has('quantization')) {
    const q = f.get('quantization');
    q.object();
    const qDtype = q.get('dtype').oneOf(Object.keys(QUANTIZED_BYTES) as QuantizedDtype[]);
    perValue = QUANTIZED_BYTES[qDtype];
    spec.quantization = q.value as tf.io.WeightsManifestEntry['quantization'];
  }
  return { spec, bytes: shape.reduce((p, d) => p * d, 1) * perValue };
}

/**
 * dir/model.json and its weights as tf.io.ModelArtifacts (for tf.loadLayersModel through an
 * IOHandler). Throws a RefusedFileError naming the file and the reason.
 */
export function readModelArtifacts(dir: string, maxBytes: number = DEFAULT_MAX_BYTES): tf.io.ModelArtifacts {
  const d = SafeDir.open(dir);
  const file = d.display('model.json');
  const json = new JsonField(file, d.readJSON('model.json', { maxBytes: MODEL_JSON_MAX_BYTES }));
  const topology = json.get('modelTopology').object();
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  let total = 0;
  for (const group of json.get('weightsManifest').items()) {
    const paths = group.get('paths').items().map((p) => p.string());
    const weights = group.get('weights').items().map(parseWeight);
    const declared = weights.reduce((s, w) => s + w.bytes, 0);
    const sizes = paths.map((p) => d.size(p));
    const actual = sizes.reduce((s, n) => s + n, 0);
    if (actual !== declared) {
      throw new RefusedFileError(file, `expected ${paths.join(' + ')} to hold ${declared} bytes (as ${group.name}.weights declares), got ${actual}`);
    }
    total += declared;
    if (total > maxBytes) throw new RefusedFileError(file, `expected at most ${maxBytes} bytes of weights, got more`);
    paths.forEach((p, i) => buffers.push(d.read(p, { bytes: sizes[i], maxBytes }).buffer as ArrayBuffer));
    weightSpecs.push(...weights.map((w) => w.spec));
  }
  const weightData = tf.io.CompositeArrayBuffer.join(buffers);
  checkWeights(weightSpecs, weightData, (reason) => {
    throw new RefusedFileError(file, reason);
  });
  const optionalString = (key: string): string | undefined => (json.has(key) ? json.get(key).string() : undefined);
  return {
    modelTopology: topology as tf.io.ModelArtifacts['modelTopology'],
    format: optionalString('format'),
    generatedBy: optionalString('generatedBy'),
    convertedBy: json.has('convertedBy') ? json.get('convertedBy').orNull((f) => f.string()) : undefined,
    trainingConfig: json.has('trainingConfig') ? (json.get('trainingConfig').object() as unknown as tf.io.TrainingConfig) : undefined,
    weightSpecs,
    weightData,
  };
}
