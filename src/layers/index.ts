/**
 * The drop-in layers, as the package exports them under `layers`: `layers.lstm(args)` where a
 * model had `tf.layers.lstm(args)`. Importing this module registers the classes with
 * tf.serialization, so tf.loadLayersModel can also read models saved with them.
 */
export { simpleRNN, SimpleRNNLayer } from './simple_rnn_layer';
export { lstm, LSTMLayer } from './lstm_layer';
export { gru, GRULayer } from './gru_layer';
export { RecurrentLayer } from './recurrent_layer';
export { dropInLayer } from './drop_in';
export { rnn, RNNLayer, registerCell } from './rnn_layer';
export type { RNNLayerArgs } from './rnn_layer';
export { loadLayersModel } from './load_layers_model';
export { fitTruncatedBPTT } from './truncated_bptt';
export type { TruncatedBPTTOptions } from './truncated_bptt';
export type { RecurrentLayerArgs, SimpleRNNLayerArgs, LSTMLayerArgs, GRULayerArgs, InitializerArg } from './layer_args';
export { saveForStock, toStockArtifacts, toStockTopology, stockLoadable, stockUnloadable } from './stock_names';
