/**
 * The weights owner of a `layers.rnn({ cell })` layer: a tf.layers.Layer holding one variable per
 * parameter the cell declares (named `<layer>/<name>`, shaped for the input's D and the layer's
 * units, made by its tf.layers initializer), as a field of the parameter's name — what our
 * RecurrentLayer reads. The step math is the driver's (src/cells/user_cell.ts), never this class's.
 */
import * as tf from '@tensorflow/tfjs';
import type { CellDefinition, Initializer } from '../cells/user_cell';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** tf.layers' initializer by name ('glorotUniform', 'zeros', …) or as given. */
function initializerOf(given: string | Initializer | undefined, rank: number, where: string): Initializer {
  if (given != null && typeof given === 'object') {
    if (typeof given.apply === 'function') return given;
    throw new Error(`expected ${where}'s initializer to be a tf.initializers name or instance, got an object without apply()`);
  }
  const name: string = given ?? (rank >= 2 ? 'glorotUniform' : 'zeros');
  const make = (tf.initializers as unknown as Record<string, unknown>)[name];
  if (typeof make !== 'function' || name === 'Initializer') {
    throw new Error(`expected ${where}'s initializer to be a tf.initializers name (glorotUniform, orthogonal, zeros, ones, …) or an instance, got '${name}'`);
  }
  return (make as (a: object) => Initializer)({});
}

export interface DeclaredCellArgs extends LayerArgs {
  cell: CellDefinition;
  /** H: the size of each state. */
  units: number;
}

export class DeclaredCell extends tf.layers.Layer {
  static className = 'TfjsRnnDeclaredCell';
  readonly units: number;
  readonly stateSize: number[];
  readonly definition: CellDefinition;
  // What tf.RNN expects of a cell; dropout masks are drawn by our layer, not by the cell.
  declare dropoutMask: tf.Tensor | tf.Tensor[];
  declare recurrentDropoutMask: tf.Tensor | tf.Tensor[];
  [param: string]: unknown;

  constructor(args: DeclaredCellArgs) {
    const { cell, units, ...rest } = args;
    super(rest);
    this.definition = cell;
    this.units = units;
    this.stateSize = (cell.stateNames ?? ['h']).map(() => units);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const D = shape[shape.length - 1] as number;
    for (const p of this.definition.parameters) {
      const dims = p.shape(D, this.units);
      this[p.name] = this.addWeight(p.name, dims, 'float32', initializerOf(p.initializer, dims.length, `${this.definition.name}.${p.name}`), undefined, true);
    }
    this.built = true;
  }

  override call(): tf.Tensor {
    throw new Error(`expected ${this.name} to run inside tfjs-rnn's rnn layer (its step is the layer's scan), got a direct call`);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, cell: this.definition.name };
  }
}
