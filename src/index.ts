/** tfjs-rnn public API: a deliberate list of named exports. */
export {
  SimpleRNN,
  SimpleRNNTape,
  simpleRNNSequence,
  simpleRNNLast,
} from './cells/simple_rnn';
export { LSTM } from './cells/lstm';
export type { LSTMConfig, LSTMOptions, LSTMUpstream, LSTMGrads, LSTMOutput } from './cells/lstm';
export { GRU } from './cells/gru';
export type { GRUConfig, GRUOptions, GRUUpstream, GRUGrads, GRUOutput } from './cells/gru';
export { RNNTape } from './scan/tape';
export type { RecurrentActivation } from './cells/activations';
export type { DifferentiableOptions } from './scan/differentiable';
export type {
  Activation,
  SimpleRNNConfig,
  SimpleRNNUpstream,
  SimpleRNNGrads,
  SimpleRNNWeightGrads,
  SimpleRNNOutput,
  BackwardOptions,
} from './cells/simple_rnn';
export { initKernel, initRecurrentKernel, initBias } from './init';
export {
  referenceForward,
  referenceBackward,
  referenceLoss,
  finiteDifferenceGrad,
  simpleRNNReferenceForward,
  simpleRNNReferenceBackward,
  simpleRNNReferenceLoss,
} from './reference/simple_rnn';
export type {
  ReferenceActivation,
  ReferenceRecurrentActivation,
  ReferenceShape,
  ReferenceWeights,
  ReferenceForwardResult,
  ReferenceUpstream,
  ReferenceGradients,
} from './reference/simple_rnn';
export { lstmReferenceForward, lstmReferenceBackward, lstmReferenceLoss } from './reference/lstm';
export type {
  LSTMReferenceWeights,
  LSTMReferenceOptions,
  LSTMReferenceForwardResult,
  LSTMReferenceUpstream,
  LSTMReferenceGradients,
} from './reference/lstm';
export { gruReferenceForward, gruReferenceBackward, gruReferenceLoss } from './reference/gru';
export type {
  GRUReferenceWeights,
  GRUReferenceOptions,
  GRUReferenceForwardResult,
  GRUReferenceUpstream,
  GRUReferenceGradients,
} from './reference/gru';
export { autodiffSimpleRNN, autodiffLSTM, autodiffGRU } from './reference/autodiff';
export type { AutodiffGatedOptions } from './reference/autodiff';
export { textbookToKeras, kerasToTextbook, pytorchToKeras, kerasToPytorch } from './layouts/simple_rnn';
export type {
  WeightInput,
  KerasWeights,
  KerasWeightsInput,
  TextbookWeights,
  TextbookWeightsInput,
  PytorchWeights,
  PytorchWeightsInput,
} from './layouts/simple_rnn';
export { lstmPytorchToKeras, lstmKerasToPytorch } from './layouts/lstm';
export type { LSTMKerasWeights, LSTMKerasWeightsInput, LSTMPytorchWeights, LSTMPytorchWeightsInput } from './layouts/lstm';
export { gruPytorchToKeras, gruKerasToPytorch } from './layouts/gru';
export type {
  GRUKerasWeights,
  GRUKerasWeightsInput,
  GRUPytorchWeights,
  GRUPytorchWeightsInput,
  GRUKerasToPytorchOptions,
} from './layouts/gru';
export {
  initBackend,
  parseBackendName,
  MissingKernelError,
  withKernelCheck,
  missingKernels,
  registerWasmKernels,
  backendFlagFromArgv,
  initBackendFromArgv,
  probeWebGPU,
  registerWebGPUBackend,
  assertNoWebGPUErrors,
} from './platform';
export type { BackendInfo, BackendName, BackendRequest, BackendAttempt, WebGPUProbe, WebGPUInfo } from './platform';
export * as layers from './layers';
export type { CellDefinition, CellParameter, StepBackwardArgs, StepBackwardResult } from './cells/user_cell';
export { loadLayersModel } from './layers';
export { SafeDir, RefusedFileError } from './io/safe_dir';
export type { ReadLimits } from './io/safe_dir';
export { readModelArtifacts } from './io/tfjs_artifacts';
export { fileSystem, writeModelFiles } from './io/model_files';
import { registerFileRouters } from './io/file_router';
export { registerFileRouters };
export { saveForStock, toStockArtifacts, toStockTopology, stockLoadable, stockUnloadable } from './layers/stock_names';
registerFileRouters(); // model.save('file://dir') and tf.loadLayersModel('file://dir/model.json') in plain Node (src/io/file_router.ts)
