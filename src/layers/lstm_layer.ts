/**
 * `layers.lstm(args)`: tf.layers.lstm's drop-in, its forward and BPTT ours (src/cells/lstm.ts,
 * where the equations are): kernel [D, 4H], recurrentKernel [H, 4H], bias [4H], gate order
 * i, f, c, o, the stock layer's weights (tf.layers.lstmCell's).
 */
import * as tf from '@tensorflow/tfjs';
import { lstmMath } from '../cells/lstm';
import { LSTMLayerArgs, checkLayerArgs, withDefaultName } from './layer_args';
import { registerDropIn } from './drop_in';
import { RecurrentLayer } from './recurrent_layer';

type StockCellArgs = Parameters<typeof tf.layers.lstmCell>[0];

export class LSTMLayer extends RecurrentLayer {
  /** @nocollapse */
  static override className = 'TfjsRnnLSTM';

  constructor(args: LSTMLayerArgs) {
    const activations = checkLayerArgs({ name: 'LSTM', extraKeys: ['recurrentActivation', 'unitForgetBias'], gated: true }, args);
    const named = withDefaultName(args, 'lstm', LSTMLayer.className);
    super({ ...named, cell: tf.layers.lstmCell({ ...named, ...activations } as StockCellArgs) }, lstmMath(activations));
  }
}
tf.serialization.registerClass(LSTMLayer);
registerDropIn('LSTM', LSTMLayer.className, (args) => new LSTMLayer(args as never));

/** An LSTM layer whose gradient is our manual BPTT; the config of tf.layers.lstm. */
export function lstm(args: LSTMLayerArgs): LSTMLayer {
  return new LSTMLayer(args);
}
