/**
 * A float64 reference for loaded Keras models (Sequential or Functional, walked along the graph),
 * written from Keras's documented equations: Concatenate, Dense, Embedding (mask_zero),
 * Masking, SimpleRNN / LSTM / GRU (src/reference, run per sample over the unmasked steps only:
 * masked steps carry the state; their outputs are the previous output, or zeros where the layer
 * has zeroOutputForMask), Bidirectional (concat), TimeDistributed(Dense), RepeatVector, Reshape,
 * BatchNormalization (inference), Conv1D (stride 1, valid/same), Dropout (identity).
 * Weights come from each layer's getWeights(); which stored weight went where is checked apart
 * (cross-format tests in keras_files.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { gruReferenceForward } from '../src/reference/gru';
import { lstmReferenceForward } from '../src/reference/lstm';
import { referenceForward } from '../src/reference/simple_rnn';

/** Values per sample: seq [T][K] or vec [K]; mask per step (null: none). */
interface Value { data: Float64Array; shape: number[]; mask: boolean[][] | null }

const f64 = (t: tf.Tensor): Float64Array => Float64Array.from(t.dataSync());
const act = (name: string, v: number): number => {
  switch (name) {
    case 'linear': return v;
    case 'relu': return Math.max(v, 0);
    case 'tanh': return Math.tanh(v);
    case 'sigmoid': return 1 / (1 + Math.exp(-v));
    default: throw new Error(`reference: activation ${name}`);
  }
};

function softmaxRows(y: Float64Array, K: number): void {
  for (let r = 0; r < y.length / K; r++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, y[r * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += (y[r * K + k] = Math.exp(y[r * K + k] - m));
    for (let k = 0; k < K; k++) y[r * K + k] /= s;
  }
}

function dense(x: Value, W: Float64Array, b: Float64Array | null, activation: string): Value {
  const [D, O] = [x.shape[x.shape.length - 1], b ? b.length : W.length / x.shape[x.shape.length - 1]];
  const rows = x.data.length / D;
  const y = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++) for (let o = 0; o < O; o++) {
    let s = b ? b[o] : 0;
    for (let d = 0; d < D; d++) s += x.data[r * D + d] * W[d * O + o];
    y[r * O + o] = s;
  }
  if (activation === 'softmax') softmaxRows(y, O);
  else for (let i = 0; i < y.length; i++) y[i] = act(activation, y[i]);
  return { data: y, shape: [...x.shape.slice(0, -1), O], mask: x.mask };
}

/** One recurrent layer over [B, T, D] with per-sample masks. */
function recurrent(layer: tf.layers.Layer, x: Value): Value {
  const c = layer.getConfig() as Record<string, unknown>;
  const cls = layer.getClassName().replace(/^TfjsRnn/, '');
  const w = layer.getWeights().map(f64);
  const [B, T, D] = x.shape;
  const H = c.units as number;
  const back = c.goBackwards === true;
  const outSeq = new Float64Array(B * T * H);
  const last = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    let steps = [...Array(T).keys()].filter((t) => x.mask === null || x.mask[b][t]);
    if (back) steps = steps.reverse();
    const xs = new Float64Array(steps.length * D);
    steps.forEach((t, i) => xs.set(x.data.subarray((b * T + t) * D, (b * T + t + 1) * D), i * D));
    const shape = { B: 1, T: steps.length, D };
    let seq: Float64Array = new Float64Array(0);
    if (steps.length > 0) {
      const opts = { activation: c.activation as 'tanh', recurrentActivation: c.recurrentActivation as 'sigmoid' };
      if (cls === 'LSTM') seq = lstmReferenceForward(xs, shape, { kernel: w[0], recurrentKernel: w[1], bias: w[2] ?? null, H }, null, null, opts).sequence;
      else if (cls === 'GRU') seq = gruReferenceForward(xs, shape, { kernel: w[0], recurrentKernel: w[1], bias: w[2] ?? null, H, resetAfter: c.resetAfter === true }, null, opts).sequence;
      else seq = referenceForward(xs, shape, { kernel: w[0], recurrentKernel: w[1], bias: w[2] ?? null, H } as never, null, c.activation as 'tanh').sequence;
    }
    if (steps.length > 0) last.set(seq.subarray((steps.length - 1) * H), b * H);
    // Outputs in processing order (tfjs returns a goBackwards layer's sequence reversed).
    const order = back ? [...Array(T).keys()].reverse() : [...Array(T).keys()];
    let prev = new Float64Array(H);
    let k = 0;
    order.forEach((t, i) => {
      const live = x.mask === null || x.mask[b][t];
      const o = live ? seq.subarray(k * H, ++k * H) : c.zeroOutputForMask === true ? new Float64Array(H) : prev;
      if (live) prev = new Float64Array(o);
      outSeq.set(o, (b * T + i) * H);
    });
  }
  return c.returnSequences === true ? { data: outSeq, shape: [B, T, H], mask: x.mask } : { data: last, shape: [B, H], mask: null };
}

/** [B, T, K] with time reversed. */
function reverseTime(v: Value): Value {
  const [B, T, K] = v.shape;
  const out = new Float64Array(v.data.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(v.data.subarray((b * T + t) * K, (b * T + t + 1) * K), (b * T + T - 1 - t) * K);
  return { ...v, data: out };
}

function concatLast(a: Value, b: Value): Value {
  const [Ka, Kb] = [a.shape[a.shape.length - 1], b.shape[b.shape.length - 1]];
  const rows = a.data.length / Ka;
  const out = new Float64Array(rows * (Ka + Kb));
  for (let r = 0; r < rows; r++) {
    out.set(a.data.subarray(r * Ka, (r + 1) * Ka), r * (Ka + Kb));
    out.set(b.data.subarray(r * Kb, (r + 1) * Kb), r * (Ka + Kb) + Ka);
  }
  return { data: out, shape: [...a.shape.slice(0, -1), Ka + Kb], mask: a.mask };
}

function step(layer: tf.layers.Layer, x: Value): Value {
  const c = layer.getConfig() as Record<string, unknown>;
  const cls = layer.getClassName();
  const w = () => layer.getWeights().map(f64);
  switch (cls.replace(/^TfjsRnn/, '')) {
    case 'InputLayer': case 'Dropout': case 'SpatialDropout1D': return x;
    case 'Dense': { const [W, b] = w(); return dense(x, W, c.useBias === false ? null : b, c.activation as string); }
    case 'Embedding': {
      const [E] = w();
      const [B, T] = x.shape;
      const O = c.outputDim as number;
      const out = new Float64Array(B * T * O);
      for (let i = 0; i < B * T; i++) out.set(E.subarray(x.data[i] * O, (x.data[i] + 1) * O), i * O);
      const mask = c.maskZero === true ? [...Array(B).keys()].map((b) => [...Array(T).keys()].map((t) => x.data[b * T + t] !== 0)) : null;
      return { data: out, shape: [B, T, O], mask };
    }
    case 'Masking': {
      const [B, T, K] = x.shape;
      const v = c.maskValue as number;
      const mask = [...Array(B).keys()].map((b) => [...Array(T).keys()].map((t) => [...Array(K).keys()].some((k) => x.data[(b * T + t) * K + k] !== v)));
      const data = Float64Array.from(x.data, (val, i) => (mask[Math.floor(i / (T * K))][Math.floor(i / K) % T] ? val : 0));
      return { data, shape: x.shape, mask };
    }
    case 'SimpleRNN': case 'LSTM': case 'GRU': return recurrent(layer, x);
    case 'Bidirectional': {
      const bi = layer as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
      const f = recurrent(bi.forwardLayer, x);
      let b = recurrent(bi.backwardLayer, x);
      if (b.shape.length === 3) b = reverseTime(b);
      return concatLast(f, b);
    }
    case 'TimeDistributed': return step((layer as unknown as { layer: tf.layers.Layer }).layer, x);
    case 'RepeatVector': {
      const [B, K] = x.shape;
      const n = c.n as number;
      const out = new Float64Array(B * n * K);
      for (let b = 0; b < B; b++) for (let t = 0; t < n; t++) out.set(x.data.subarray(b * K, (b + 1) * K), (b * n + t) * K);
      return { data: out, shape: [B, n, K], mask: null };
    }
    case 'Reshape': return { data: x.data, shape: [x.shape[0], ...(c.targetShape as number[])], mask: null };
    case 'BatchNormalization': {
      const [g, beta, mean, variance] = w();
      const K = mean.length;
      const eps = c.epsilon as number;
      return { ...x, data: Float64Array.from(x.data, (v, i) => ((v - mean[i % K]) / Math.sqrt(variance[i % K] + eps)) * g[i % K] + beta[i % K]) };
    }
    case 'Conv1D': {
      const [Wc, bc] = w(); // [k, D, F]
      const [B, T, D] = x.shape;
      const k = (c.kernelSize as number[])[0];
      const F = c.filters as number;
      const pad = c.padding === 'same' ? Math.floor((k - 1) / 2) : 0;
      const To = c.padding === 'same' ? T : T - k + 1;
      const out = new Float64Array(B * To * F);
      for (let b = 0; b < B; b++) for (let t = 0; t < To; t++) for (let f = 0; f < F; f++) {
        let s = bc[f];
        for (let j = 0; j < k; j++) {
          const ti = t + j - pad;
          if (ti < 0 || ti >= T) continue;
          for (let d = 0; d < D; d++) s += x.data[(b * T + ti) * D + d] * Wc[(j * D + d) * F + f];
        }
        out[(b * To + t) * F + f] = act(c.activation as string, s);
      }
      return { data: out, shape: [B, To, F], mask: null };
    }
    default: throw new Error(`reference: layer class ${cls}`);
  }
}

/** The model's output in float64, layer after layer along its graph (Concatenate joins on the last axis). */
export function referencePredict(model: tf.LayersModel, x: Float64Array | Float64Array[], shape: number[] | number[][]): Float64Array {
  const xs = Array.isArray(x) ? x : [x];
  const shapes = (Array.isArray(shape[0]) ? shape : [shape]) as number[][];
  const values = new Map<string, Value>();
  model.inputLayers.forEach((l, i) => values.set(l.name, { data: xs[i], shape: shapes[i], mask: null }));
  for (const layer of model.layers) {
    if (values.has(layer.name)) continue;
    const ins = layer.inboundNodes[0].inboundLayers.map((l) => values.get(l.name)!);
    values.set(layer.name, layer.getClassName() === 'Concatenate' ? ins.slice(1).reduce(concatLast, ins[0]) : step(layer, ins[0]));
  }
  return values.get(model.outputLayers[0].name)!.data;
}
