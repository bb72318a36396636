/** tfjs-rnn public API: a deliberate list of named exports. */
export {
  SimpleRNN,
  SimpleRNNTape,
  simpleRNNSequence,
  simpleRNNLast,
} from './cells/simple_rnn';
export type {
  Activation,
  SimpleRNNConfig,
  SimpleRNNUpstream,
  SimpleRNNGrads,
  SimpleRNNOutput,
  BackwardOptions,
} from './cells/simple_rnn';
export { initKernel, initRecurrentKernel, initBias } from './init';
export { initBackend } from './backend';
export type { BackendInfo, BackendName } from './backend';
