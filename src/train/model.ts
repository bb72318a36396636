/**
 * The trained models: a tf.sequential of [Embedding →] N recurrent layers (each optionally
 * Bidirectional, merge mode concat) → Dense.
 *
 *   tokens [B, T] ─Embedding E [V, De]→ [B, T, De] ─RNN₁(H) → … ─RNN_N(H)→ last [B, H'] or sequence [B, T, H']
 *   real   [B, T, D] ───────────────────────────────→ RNN₁(H) → …
 *   → Dense W [H', O], b [O] → logits [B, O] or [B, T, O]; output = sigmoid / softmax / identity
 *
 * H' = H, or 2H when bidirectional. RNN is SimpleRNN, LSTM or GRU: our drop-in layers
 * (src/layers), so the recurrent part's gradient is our manual BPTT; the Dense head uses tfjs
 * autodiff and the Embedding a scatter-add gradient (embedding.ts). Layers before the last return
 * sequences. Gated cells use Keras's settings: recurrentActivation sigmoid, LSTM forget-gate bias 1.
 *
 * The same builder makes the three networks a run needs: the one it trains (ours, logits out), the
 * one it exports (stock tf.layers classes, output activation in the Dense: export.ts), and a
 * stateful batch-of-one copy that samples text step by step (trainer.ts). Layer names are fixed
 * (embedding, lstm, lstm_1, bidirectional, dense, …), so weight names (`lstm/kernel`,
 * `bidirectional/forward_lstm/kernel`) are the same in every process: checkpoints store them.
 * Seed 002's model is tokens(5000) → Embedding 32 → SimpleRNN(100) → Dense(1, sigmoid).
 */
import * as tf from '@tensorflow/tfjs';
/** The activations the training app offers (the cells take every tfjs activation). */
export type Activation = 'tanh' | 'relu' | 'linear';
import { layers } from '..';
import { CELL_IDS, cellById, KERAS_DEFAULTS } from '../testing';
import type { CellDescriptor, CellId, CellMath, CellOptions } from '../testing';
import { ScatterEmbedding } from './embedding';
import type { Objective, TaskInput } from './tasks/task';
import { Rng } from './random';

export type CellName = CellId;
export const CELL_NAMES: readonly CellName[] = CELL_IDS;

export interface ModelSpec {
  input: TaskInput;
  /** Width of the embedding (token inputs only). */
  embeddingDim: number;
  cell: CellName;
  units: number;
  /** SimpleRNN's activation; a gated cell's candidate (and LSTM cell-output) activation. */
  activation: Activation;
  /** GRU: Keras ≥ 2.3's form (bias [2, 3H]), which stock tfjs cannot load. */
  resetAfter: boolean;
  /** Stacked recurrent layers. */
  layers: number;
  bidirectional: boolean;
  outputDim: number;
  objective: Objective;
  returnSequences: boolean;
  seed: number;
}

/** Which network the builder makes (see the top of the file). */
export type Flavour = 'train' | 'export' | 'sampler';

const OUTPUT_ACTIVATION: Record<Objective, 'linear' | 'sigmoid' | 'softmax'> = { mse: 'linear', binary: 'sigmoid', categorical: 'softmax' };

function layerName(prefix: string, k: number): string {
  return k === 0 ? prefix : `${prefix}_${k}`;
}

/** The spec's cell and its options: Keras's (sigmoid gates), the spec's activation and GRU form. */
export function cellOf(spec: ModelSpec): { d: CellDescriptor; o: CellOptions } {
  return { d: cellById(spec.cell), o: { ...KERAS_DEFAULTS, activation: spec.activation, resetAfter: spec.resetAfter } };
}

/** The step math of the spec's cell, as our layers run it. */
export function cellMath(spec: ModelSpec): CellMath {
  const { d, o } = cellOf(spec);
  return d.math(o);
}

/** Recurrent layer k: ours (train, sampler) or the stock class (export; a resetAfter GRU is written as stock by export.ts). */
function recurrentLayer(spec: ModelSpec, flavour: Flavour, k: number, shape: { inputShape?: Array<number | null> }): tf.layers.Layer {
  const { d, o } = cellOf(spec);
  const args = {
    units: spec.units,
    returnSequences: k < spec.layers - 1 || spec.returnSequences,
    stateful: flavour === 'sampler',
    name: layerName(d.layerPrefix, k),
    // The weights are assigned after the build: skip tf.layers' orthogonal init (a slow QR for large H).
    kernelInitializer: 'zeros',
    recurrentInitializer: 'zeros',
    ...shape,
  };
  // unitForgetBias stays off in the layer: the forget-gate bias of 1 comes with the seeded weights
  // (initialWeights), and tfjs 4.22's lstmCell leaks four tensors per build when it is on.
  if (flavour === 'export') return d.stockLayer(args, o);
  return layers.dropInLayer(d.kerasClass, { ...args, ...d.layerOptions(o) });
}

/** The network of a spec, with zero weights (RnnModel seeds them; the others copy them). */
export function buildNetwork(spec: ModelSpec, flavour: Flavour): tf.Sequential {
  const net = tf.sequential({ name: 'model' });
  const input = spec.input;
  // A stateful network needs its batch size: one sequence, one step at a time.
  const first = flavour === 'sampler' ? { batchInputShape: input.kind === 'tokens' ? [1, 1] : [1, 1, input.dim] } : { inputShape: input.kind === 'tokens' ? [null] : [null, input.dim] };
  if (input.kind === 'tokens') {
    const args = { inputDim: input.vocabSize, outputDim: spec.embeddingDim, name: 'embedding', ...first };
    net.add(flavour === 'export' ? tf.layers.embedding({ ...args, embeddingsInitializer: 'zeros' }) : new ScatterEmbedding(args));
  }
  for (let k = 0; k < spec.layers; k++) {
    const shape = k === 0 && input.kind === 'real' ? first : {};
    if (spec.bidirectional) {
      const layer = recurrentLayer(spec, flavour, k, {}) as tf.RNN;
      net.add(tf.layers.bidirectional({ layer, mergeMode: 'concat', name: layerName('bidirectional', k), ...shape }));
    } else {
      net.add(recurrentLayer(spec, flavour, k, shape));
    }
  }
  net.add(tf.layers.dense({ units: spec.outputDim, activation: flavour === 'export' ? OUTPUT_ACTIVATION[spec.objective] : 'linear', kernelInitializer: 'zeros', name: 'dense' }));
  return net;
}

function uniform(rng: Rng, shape: number[], limit: number): tf.Tensor {
  const n = shape.reduce((p, s) => p * s, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(-limit, limit);
  return tf.tensor(v, shape);
}

let initCells = 0;

/** Seeded initial weights of one recurrent cell: Keras's initializers (src/init.ts, through the cell classes). */
function cellWeights(spec: ModelSpec, inputDim: number, seed: number): tf.Tensor[] {
  // A name of its own: the cell's variables live beside the network's (`lstm_1/kernel`) for a moment.
  const { d, o } = cellOf(spec);
  const cell = d.make({ inputDim, units: spec.units, seed, name: `train_init_${initCells++}` }, o);
  const weights = cell.getWeights();
  cell.dispose();
  return weights;
}

/**
 * Every weight in the network's order: embedding U(−0.05, 0.05) (Keras's), each recurrent layer's
 * cells (forward, then backward), Dense glorotUniform and zeros. The first layer's forward cell
 * takes the run's seed; the other cells take seeds drawn from it.
 */
function initialWeights(spec: ModelSpec): tf.Tensor[] {
  const rng = new Rng(`model/${spec.seed}`);
  const cellSeeds = new Rng(`model/${spec.seed}/cells`);
  const H = spec.units;
  const directions = spec.bidirectional ? 2 : 1;
  const O = spec.outputDim;
  const out: tf.Tensor[] = [];
  let D = spec.input.kind === 'tokens' ? spec.embeddingDim : spec.input.dim;
  const embedding = spec.input.kind === 'tokens' ? uniform(rng, [spec.input.vocabSize, spec.embeddingDim], 0.05) : null;
  if (embedding !== null) out.push(embedding);
  for (let k = 0; k < spec.layers; k++) {
    for (let d = 0; d < directions; d++) out.push(...cellWeights(spec, D, k === 0 && d === 0 ? spec.seed : cellSeeds.int(2 ** 30)));
    D = directions * H;
  }
  out.push(uniform(rng, [D, O], Math.sqrt(6 / (D + O))), tf.zeros([O])); // glorotUniform
  return out;
}

export class RnnModel {
  readonly spec: ModelSpec;
  /** The network trained: our layers, logits out. */
  readonly net: tf.Sequential;

  constructor(spec: ModelSpec) {
    if (!Number.isInteger(spec.layers) || spec.layers < 1) throw new Error(`expected at least one recurrent layer, got ${spec.layers}`);
    this.spec = spec;
    this.net = buildNetwork(spec, 'train');
    const init = initialWeights(spec);
    this.net.setWeights(init);
    tf.dispose(init);
  }

  /** Every trainable variable, in the network's order. */
  get variables(): tf.Variable[] {
    return this.net.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /**
   * Names of the variables (same order) that are the same in every process: tf.layers' names
   * (`lstm/kernel`), without the `_1` tfjs appends to a variable name already taken in this process.
   */
  get weightNames(): string[] {
    return this.net.trainableWeights.map((w) => w.originalName);
  }

  countParams(): number {
    return this.net.countParams();
  }

  /** The recurrent layers (Bidirectional wrappers included), in order. */
  get recurrentLayers(): tf.layers.Layer[] {
    return this.net.layers.filter((l) => l.name !== 'embedding' && l.name !== 'dense');
  }

  /** Logits (pre-activation outputs): [B, O] or [B, T, O]. Differentiable; BPTT via our layers. */
  logits(x: tf.Tensor): tf.Tensor {
    return this.net.apply(x) as tf.Tensor;
  }

  /** Outputs as the exported model gives them: sigmoid / softmax / identity of the logits. */
  predict(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => activateOutput(this.spec.objective, this.logits(x)));
  }

  /** Mean loss of logits against targets y. */
  lossOf(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
    return lossFromLogits(this.spec.objective, logits, y);
  }

  /** Loss and (for classification) accuracy on one batch, no gradient. */
  async evaluate(x: tf.Tensor, y: tf.Tensor): Promise<{ loss: number; accuracy?: number }> {
    const { lossT, accT } = tf.tidy(() => {
      const z = this.logits(x);
      return { lossT: this.lossOf(z, y), accT: accuracyOf(this.spec.objective, z, y) } as unknown as tf.TensorContainerObject;
    }) as unknown as { lossT: tf.Scalar; accT: tf.Scalar | null };
    try {
      // Async reads: webgpu has no synchronous read under Node.
      const loss = (await lossT.data())[0];
      return accT === null ? { loss } : { loss, accuracy: (await accT.data())[0] };
    } finally {
      tf.dispose(accT === null ? [lossT] : [lossT, accT]);
    }
  }

  /** A network of the given flavour holding copies of this model's weights. Caller disposes. */
  copy(flavour: Exclude<Flavour, 'train'>): tf.Sequential {
    const net = buildNetwork(this.spec, flavour);
    net.setWeights(this.net.getWeights());
    return net;
  }

  dispose(): void {
    this.net.dispose();
  }
}

export function activateOutput(objective: Objective, z: tf.Tensor): tf.Tensor {
  if (objective === 'binary') return tf.sigmoid(z);
  if (objective === 'categorical') return tf.softmax(z);
  return tf.clone(z);
}

/**
 * mse: mean (z − y)²;  binary: mean softplus(z) − y·z (= cross-entropy of sigmoid(z), stable);
 * categorical: mean over B·T of −log softmax(z)[y].
 */
export function lossFromLogits(objective: Objective, z: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    if (objective === 'mse') return tf.mean(tf.square(tf.sub(z, y)));
    if (objective === 'binary') return tf.mean(tf.sub(tf.softplus(z), tf.mul(y, z)));
    const V = z.shape[z.rank - 1];
    const logp = tf.logSoftmax(tf.reshape(z, [-1, V])); // [B·T, V]
    const target = tf.oneHot(tf.reshape(y, [-1]) as tf.Tensor1D, V); // [B·T, V]
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), -1)));
  }) as tf.Scalar;
}

/** Fraction right: sigmoid(z) > 0.5 vs y, or argmax vs y; null for mse. */
export function accuracyOf(objective: Objective, z: tf.Tensor, y: tf.Tensor): tf.Scalar | null {
  if (objective === 'mse') return null;
  return tf.tidy(() => {
    const predicted = objective === 'binary' ? tf.cast(tf.greater(z, 0), 'float32') : tf.cast(tf.argMax(z, -1), 'int32');
    return tf.mean(tf.cast(tf.equal(predicted, y), 'float32')) as tf.Scalar;
  });
}
