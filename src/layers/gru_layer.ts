/**
 * `layers.gru(args)`: tf.layers.gru's drop-in, its forward and BPTT ours (src/cells/gru.ts, where
 * both of Keras's forms are written out): kernel [D, 3H], recurrentKernel [H, 3H], gate order
 * z, r, h; bias [3H], or [2, 3H] with resetAfter: true, the form tf.layers.gru cannot run (and so
 * cannot load from Keras ≥ 2.3, whose default it is).
 */
import * as tf from '@tensorflow/tfjs';
import { gruMath } from '../cells/gru';
import { GRUResetAfterCell } from './gru_reset_after_cell';
import { GRULayerArgs, checkLayerArgs, withDefaultName } from './layer_args';
import { registerDropIn } from './drop_in';
import { RecurrentLayer } from './recurrent_layer';

type StockCellArgs = Parameters<typeof tf.layers.gruCell>[0];

export class GRULayer extends RecurrentLayer {
  /** @nocollapse */
  static override className = 'TfjsRnnGRU';
  readonly resetAfter: boolean;

  constructor(args: GRULayerArgs) {
    const activations = checkLayerArgs({ name: 'GRU', extraKeys: ['recurrentActivation', 'resetAfter'], gated: true }, args);
    const resetAfter = args.resetAfter === true;
    const named = { ...withDefaultName(args, 'gru', GRULayer.className), ...activations };
    const cell = resetAfter ? new GRUResetAfterCell(named) : tf.layers.gruCell({ ...named, resetAfter: false } as StockCellArgs);
    super({ ...named, cell }, gruMath({ ...activations, resetAfter }));
    this.resetAfter = resetAfter;
  }
}
tf.serialization.registerClass(GRULayer);
registerDropIn('GRU', GRULayer.className, (args) => new GRULayer(args as never));

/** A GRU layer whose gradient is our manual BPTT; the config of tf.layers.gru, plus resetAfter: true. */
export function gru(args: GRULayerArgs): GRULayer {
  return new GRULayer(args);
}
