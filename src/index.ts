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
  SimpleRNNWeightGrads,
  SimpleRNNOutput,
  BackwardOptions,
} from './cells/simple_rnn';
export { initKernel, initRecurrentKernel, initBias } from './init';
export { referenceForward, referenceBackward, referenceLoss, finiteDifferenceGrad } from './cells/reference';
export type {
  ReferenceActivation,
  ReferenceShape,
  ReferenceWeights,
  ReferenceForwardResult,
  ReferenceUpstream,
  ReferenceGradients,
} from './cells/reference';
export { textbookToKeras, kerasToTextbook, pytorchToKeras, kerasToPytorch } from './layouts';
export type {
  WeightInput,
  KerasWeights,
  KerasWeightsInput,
  TextbookWeights,
  TextbookWeightsInput,
  PytorchWeights,
  PytorchWeightsInput,
} from './layouts';
export { initBackend, parseBackendName, MissingKernelError, withKernelCheck, missingKernels } from './backend';
export type { BackendInfo, BackendName, BackendRequest, BackendAttempt } from './backend';
export { backendFlagFromArgv, initBackendFromArgv } from './cli_backend';
export { probeWebGPU, registerWebGPUBackend, assertNoWebGPUErrors } from './webgpu';
export type { WebGPUProbe, WebGPUInfo } from './webgpu';
