/**
 * The trained models: [Embedding →] SimpleRNN → Dense.
 *
 *   tokens [B, T] ─Embedding E [V, De]→ [B, T, De] ─SimpleRNN(H)→ last [B, H] or sequence [B, T, H]
 *   real   [B, T, D] ─────────────────→ SimpleRNN(H) → …
 *   → Dense W [H, O], b [O] → logits [B, O] or [B, T, O]; output = sigmoid / softmax / identity
 *
 * The recurrent part runs through the cell's tf.customGrad entry point, so its gradient is our
 * manual BPTT; the Embedding and Dense heads use tfjs autodiff, except the Embedding's gradient,
 * which is a scatter-add (tfjs's gather gradient needs UnsortedSegmentSum, which wasm lacks).
 * Seed 002's model is tokens(5000) → Embedding 32 → SimpleRNN(100) → Dense(1, sigmoid).
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../cells/simple_rnn';
import type { Activation } from '../cells/simple_rnn';
import type { Objective, TaskInput } from './tasks/task';
import { Rng } from './random';

export interface ModelSpec {
  input: TaskInput;
  /** Width of the embedding (token inputs only). */
  embeddingDim: number;
  units: number;
  activation: Activation;
  outputDim: number;
  objective: Objective;
  returnSequences: boolean;
  seed: number;
}

let modelCounter = 0;

/** E[ids]: [B, T] int32 → [B, T, De]; its gradient dE is a scatter-add of dy into the rows used. */
export function embeddingLookup(ids: tf.Tensor2D, E: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = ids.shape;
  const [V, De] = E.shape;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const e = args[0] as tf.Tensor2D;
    const value = tf.reshape(tf.gather(e, tf.reshape(ids, [B * T])), [B, T, De]) as tf.Tensor3D; // [B, T, De]
    const gradFunc = (dy: tf.Tensor): tf.Tensor =>
      tf.scatterND(tf.reshape(ids, [B * T, 1]), tf.reshape(dy, [B * T, De]), [V, De]); // [V, De]
    return { value, gradFunc };
  });
  return f(E) as tf.Tensor3D;
}

function uniform(rng: Rng, shape: number[], limit: number): tf.Tensor {
  const n = shape.reduce((p, s) => p * s, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(-limit, limit);
  return tf.tensor(v, shape);
}

export class RnnModel {
  readonly spec: ModelSpec;
  readonly embedding: tf.Variable<tf.Rank.R2> | null; // [V, De]
  readonly cell: SimpleRNN;
  readonly denseKernel: tf.Variable<tf.Rank.R2>; // [H, O]
  readonly denseBias: tf.Variable<tf.Rank.R1>; // [O]

  constructor(spec: ModelSpec) {
    this.spec = spec;
    const id = modelCounter++;
    const rng = new Rng(`model/${spec.seed}`);
    const H = spec.units;
    const O = spec.outputDim;
    const input = spec.input;
    this.embedding =
      input.kind === 'tokens'
        ? tf.tidy(() => tf.variable(uniform(rng, [input.vocabSize, spec.embeddingDim], 0.05) as tf.Tensor2D, true, `m${id}/embedding/embeddings`)) // Keras: U(-0.05, 0.05)
        : null;
    const D = spec.input.kind === 'tokens' ? spec.embeddingDim : spec.input.dim;
    this.cell = new SimpleRNN({ inputDim: D, units: H, activation: spec.activation, seed: spec.seed, name: `m${id}/simple_rnn` });
    this.denseKernel = tf.tidy(() => tf.variable(uniform(rng, [H, O], Math.sqrt(6 / (H + O))) as tf.Tensor2D, true, `m${id}/dense/kernel`)); // glorotUniform
    this.denseBias = tf.tidy(() => tf.variable(tf.zeros([O]) as tf.Tensor1D, true, `m${id}/dense/bias`));
  }

  /** Every trainable variable, in export order: [embedding,] kernel, recurrentKernel, bias, dense kernel, dense bias. */
  get variables(): tf.Variable[] {
    const vars: tf.Variable[] = this.embedding === null ? [] : [this.embedding];
    return vars.concat(this.cell.trainableWeights, [this.denseKernel, this.denseBias]);
  }

  countParams(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** The recurrent input: embedded tokens or the real features. [B, T, D] */
  embed(x: tf.Tensor): tf.Tensor3D {
    return this.embedding === null ? (x as tf.Tensor3D) : embeddingLookup(x as tf.Tensor2D, this.embedding);
  }

  /** Dense head on states h [B, H] or [B, T, H] → logits [B, O] or [B, T, O]. */
  head(h: tf.Tensor): tf.Tensor {
    const H = this.spec.units;
    const O = this.spec.outputDim;
    const rows = tf.reshape(h, [-1, H]) as tf.Tensor2D; // [B·T, H]
    const z = tf.add(tf.matMul(rows, this.denseKernel), this.denseBias); // [B·T, O]
    return tf.reshape(z, [...h.shape.slice(0, -1), O]);
  }

  /** Logits (pre-activation outputs): [B, O] or [B, T, O]. Differentiable; BPTT via customGrad. */
  logits(x: tf.Tensor): tf.Tensor {
    const h = this.cell.apply(this.embed(x), null, { returnSequences: this.spec.returnSequences });
    return this.head(h);
  }

  /** Outputs as tf.layers would give them: sigmoid / softmax / identity of the logits. */
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

  dispose(): void {
    tf.dispose(this.variables);
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
