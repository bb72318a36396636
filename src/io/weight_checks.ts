/**
 * Checks on a model's weights before any of them becomes a tensor, for every loader (a path read
 * through tfjs_artifacts.ts, or any tf.io.IOHandler): each weight name appears once (stock tfjs lets
 * the later one win, silently), and every float value is finite (stock tfjs loads NaN and Infinity
 * and the model then predicts NaN). A refusal names the weight.
 */
import * as tf from '@tensorflow/tfjs';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The first non-finite value among n float32 values at byte offset off, or -1. */
function firstNonFinite32(buf: ArrayBuffer, off: number, n: number): number {
  const view = new DataView(buf, off, n * 4);
  for (let i = 0; i < n; i++) if (!Number.isFinite(view.getFloat32(i * 4, true))) return i;
  return -1;
}

/** The first float16 NaN or Infinity (exponent bits all set) among n values, or -1. */
function firstNonFinite16(buf: ArrayBuffer, off: number, n: number): number {
  const view = new DataView(buf, off, n * 2);
  for (let i = 0; i < n; i++) if ((view.getUint16(i * 2, true) & 0x7c00) === 0x7c00) return i;
  return -1;
}

/**
 * Throws an Error (via `refuse`, which the caller may turn into its own error type) naming the
 * first duplicate weight name or the first weight with a NaN or Infinity.
 */
export function checkWeights(specs: readonly tf.io.WeightsManifestEntry[], data: tf.io.WeightData | undefined, refuse: (reason: string) => never = (r) => {
  throw new Error(r);
}): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) refuse(`expected each weight name once, got ${s.name} twice (the later would replace the earlier)`);
    seen.add(s.name);
  }
  if (data === undefined) return;
  const buf = Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((p, d) => p * d, 1);
    const q = s.quantization;
    const stored = q?.dtype ?? s.dtype;
    const bytes = n * (BYTES[stored] ?? 4);
    if (off + bytes > buf.byteLength) refuse(`expected ${bytes} bytes for weight ${s.name} at byte ${off}, got ${Math.max(0, buf.byteLength - off)}`);
    let bad = -1;
    if (q !== undefined && q.dtype !== 'float16') {
      for (const k of ['scale', 'min'] as const) {
        if (q[k] !== undefined && !Number.isFinite(q[k])) refuse(`expected a finite quantization ${k} for weight ${s.name}, got ${q[k]}`);
      }
    } else if (stored === 'float16') bad = firstNonFinite16(buf, off, n);
    else if (s.dtype === 'float32') bad = firstNonFinite32(buf, off, n);
    if (bad >= 0) refuse(`expected finite values in weight ${s.name} [${s.shape}], got NaN or Infinity at index ${bad}`);
    off += bytes;
  }
}

/** The artifacts' weights checked (see checkWeights); for loaders that take a tf.io.IOHandler. */
export function checkArtifactWeights(artifacts: tf.io.ModelArtifacts): void {
  checkWeights(artifacts.weightSpecs ?? [], artifacts.weightData);
}
