/**
 * The Embedding the training models use: tf.layers.embedding's weight (`<name>/embeddings`
 * [V, De]) and forward (a gather), with a gradient that runs on every backend. tfjs's gather
 * gradient needs UnsortedSegmentSum, which wasm lacks; here ∂E is a scatter-add of ∂y into the rows
 * used. Exports write the stock Embedding in its place (export.ts): the weights are the same.
 *
 *   ids [B, T] int32 ─E [V, De]→ [B, T, De]
 */
import * as tf from '@tensorflow/tfjs';

/** E[ids]: [B, T] int32 → [B, T, De]; its gradient ∂E is a scatter-add of dy into the rows used. */
export function embeddingLookup(ids: tf.Tensor2D, E: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = ids.shape;
  const [V, De] = E.shape;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const e = args[0] as tf.Tensor2D;
    // Saved, not captured: the ids may be a cast made inside the caller's tidy, gone by the backward.
    (args[1] as tf.GradSaveFunc)([ids]);
    const value = tf.reshape(tf.gather(e, tf.reshape(ids, [B * T])), [B, T, De]) as tf.Tensor3D; // [B, T, De]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
      tf.scatterND(tf.reshape(saved[0], [B * T, 1]), tf.reshape(dy, [B * T, De]), [V, De]); // [V, De]
    return { value, gradFunc };
  });
  return f(E) as tf.Tensor3D;
}

export interface ScatterEmbeddingArgs {
  /** V: the vocabulary size. */
  inputDim: number;
  /** De: the width of each embedding. */
  outputDim: number;
  /** The input shape without the batch ([T], T may be null). */
  inputShape?: Array<number | null>;
  /** The input shape with the batch ([B, T]). */
  batchInputShape?: Array<number | null>;
  name?: string;
}

export class ScatterEmbedding extends tf.layers.Layer {
  /** @nocollapse */
  static className = 'TfjsRnnEmbedding';
  readonly inputDim: number;
  readonly outputDim: number;
  private embeddings: tf.LayerVariable | null = null; // [V, De]

  constructor(args: ScatterEmbeddingArgs) {
    super(args);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
  }

  override build(): void {
    // The trainer assigns seeded values right after building the model.
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], 'float32', tf.initializers.zeros(), undefined, true);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...(inputShape as tf.Shape), this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x.rank !== 2) throw new Error(`expected token ids [batch, time] for ${this.name}, got [${x.shape.join(', ')}]`);
      const ids = (x.dtype === 'int32' ? x : tf.cast(x, 'int32')) as tf.Tensor2D;
      return embeddingLookup(ids, (this.embeddings as tf.LayerVariable).read() as tf.Tensor2D);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim };
  }
}
tf.serialization.registerClass(ScatterEmbedding);
