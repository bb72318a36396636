/**
 * `layers.simpleRNN(args)`: tf.layers.simpleRNN's drop-in, its forward and BPTT ours
 * (src/cells/simple_rnn.ts): a_t = x_t · W + h_{t-1} · U + b, h_t = act(a_t); kernel W [D, H],
 * recurrentKernel U [H, H], bias [H], the stock layer's weights (tf.layers.simpleRNNCell's).
 */
import * as tf from '@tensorflow/tfjs';
import { simpleRNNMath } from '../cells/simple_rnn';
import { SimpleRNNLayerArgs, checkLayerArgs, withDefaultName } from './layer_args';
import { registerDropIn } from './drop_in';
import { RecurrentLayer } from './recurrent_layer';

type StockCellArgs = Parameters<typeof tf.layers.simpleRNNCell>[0];

export class SimpleRNNLayer extends RecurrentLayer {
  /** @nocollapse */
  static override className = 'TfjsRnnSimpleRNN';

  constructor(args: SimpleRNNLayerArgs) {
    const { activation } = checkLayerArgs({ name: 'SimpleRNN', extraKeys: [], gated: false }, args);
    const named = withDefaultName(args, 'simple_rnn', SimpleRNNLayer.className);
    super({ ...named, cell: tf.layers.simpleRNNCell(named as StockCellArgs) }, simpleRNNMath(activation));
  }
}
tf.serialization.registerClass(SimpleRNNLayer);
registerDropIn('SimpleRNN', SimpleRNNLayer.className, (args) => new SimpleRNNLayer(args as never));

/** A SimpleRNN layer whose gradient is our manual BPTT; the config of tf.layers.simpleRNN. */
export function simpleRNN(args: SimpleRNNLayerArgs): SimpleRNNLayer {
  return new SimpleRNNLayer(args);
}
