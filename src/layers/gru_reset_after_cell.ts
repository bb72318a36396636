/**
 * The cell (the owner of the weights) of our GRU layer with resetAfter: true. tf.layers.gruCell
 * refuses that form ("GRUCell does not support reset_after parameter set to true"); the weights
 * differ only in the bias, [2, 3H] as Keras stores it (row 0 the input bias, row 1 the recurrent
 * bias). The step math is our scan's (src/cells/gru.ts), never this class's. Initializers are
 * parsed, and serialized back, by a stock tf.layers.gruCell of the same config.
 */
import * as tf from '@tensorflow/tfjs';
import type { InitializerArg } from './layer_args';

type StockGRUCell = ReturnType<typeof tf.layers.gruCell>;
type StockGRUCellArgs = Parameters<typeof tf.layers.gruCell>[0];
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface GRUResetAfterCellArgs extends LayerArgs {
  /** H. */
  units: number;
  /** Default true. */
  useBias?: boolean;
  /** Of the kernel [D, 3H]. */
  kernelInitializer?: InitializerArg;
  /** Of the recurrent kernel [H, 3H]. */
  recurrentInitializer?: InitializerArg;
  /** Of the bias [2, 3H]. */
  biasInitializer?: InitializerArg;
  /** Kept for getConfig (the layer's math is built from the same value). */
  activation?: string;
  /** Kept for getConfig. */
  recurrentActivation?: string;
  /** Kept for getConfig. */
  implementation?: number | null;
  /** Penalties and constraints of the three weights (tf.layers.gruCell's). */
  kernelRegularizer?: unknown;
  recurrentRegularizer?: unknown;
  biasRegularizer?: unknown;
  kernelConstraint?: unknown;
  recurrentConstraint?: unknown;
  biasConstraint?: unknown;
  /** Kept for getConfig (the masks are drawn by our layer). */
  dropout?: number;
  recurrentDropout?: number;
}

export class GRUResetAfterCell extends tf.layers.Layer {
  static className = 'TfjsRnnGRUResetAfterCell';
  readonly units: number;
  readonly stateSize: number;
  readonly useBias: boolean;
  kernel: tf.LayerVariable | null = null; // [D, 3H]
  recurrentKernel: tf.LayerVariable | null = null; // [H, 3H]
  bias: tf.LayerVariable | null = null; // [2, 3H]
  // What tf.RNN expects of a cell; our layer draws the dropout masks, so these stay unset.
  declare dropoutMask: tf.Tensor | tf.Tensor[];
  declare recurrentDropoutMask: tf.Tensor | tf.Tensor[];
  private readonly stock: StockGRUCell;

  constructor(args: GRUResetAfterCellArgs) {
    super(args);
    const { units, useBias, kernelInitializer, recurrentInitializer, biasInitializer, activation, recurrentActivation, implementation } = args;
    const { kernelRegularizer, recurrentRegularizer, biasRegularizer, kernelConstraint, recurrentConstraint, biasConstraint, dropout, recurrentDropout } = args;
    this.stock = tf.layers.gruCell({
      units,
      useBias,
      kernelInitializer,
      recurrentInitializer,
      biasInitializer,
      activation,
      recurrentActivation,
      implementation,
      kernelRegularizer,
      recurrentRegularizer,
      biasRegularizer,
      kernelConstraint,
      recurrentConstraint,
      biasConstraint,
      dropout,
      recurrentDropout,
    } as StockGRUCellArgs);
    this.units = units;
    this.stateSize = units;
    this.useBias = this.stock.useBias;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const D = shape[shape.length - 1] as number;
    const H = this.units;
    const s = this.stock;
    this.kernel = this.addWeight('kernel', [D, 3 * H], 'float32', s.kernelInitializer, s.kernelRegularizer, true, s.kernelConstraint);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [H, 3 * H], 'float32', s.recurrentInitializer, s.recurrentRegularizer, true, s.recurrentConstraint);
    this.bias = this.useBias ? this.addWeight('bias', [2, 3 * H], 'float32', s.biasInitializer, s.biasRegularizer, true, s.biasConstraint) : null;
    this.built = true;
  }

  override call(): tf.Tensor {
    throw new Error(`expected ${this.name} to run inside tfjs-rnn's GRU layer (its step is the layer's scan), got a direct call`);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.stock.getConfig(), ...super.getConfig(), resetAfter: true };
  }
}
