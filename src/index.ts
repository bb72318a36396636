/**
 * tfjs-rnn: the library's face, a deliberate list of named exports (at most 40 values, counted by
 * test/public_face.test.ts). Test oracles (float64 references, finite differences, autodiff loops,
 * seeded data) are at `tfjs-rnn/testing` (src/testing.ts). Names are prefixed by cell where they
 * are cell-specific.
 */

// The drop-in layers, the main product: `layers.lstm(args)` where a model had `tf.layers.lstm(args)`,
// and `layers.rnn({ cell })` for a cell of your own. The four factories are at the top too.
export * as layers from './layers';
export { simpleRNN, lstm, gru, rnn } from './layers';
export type {
  RecurrentLayerArgs,
  SimpleRNNLayerArgs,
  LSTMLayerArgs,
  GRULayerArgs,
  InitializerArg,
  RNNLayerArgs,
  TruncatedBPTTOptions,
} from './layers';
export type { CellDefinition, CellParameter, StepBackwardArgs, StepBackwardResult } from './cells/user_cell';

// The cells: forward, manual BPTT, and a differentiable wrapper.
export { SimpleRNN } from './cells/simple_rnn';
export type {
  Activation,
  SimpleRNNConfig,
  SimpleRNNUpstream,
  SimpleRNNGrads,
  SimpleRNNWeightGrads,
  SimpleRNNOutput,
  BackwardOptions,
} from './cells/simple_rnn';
export { LSTM } from './cells/lstm';
export type { LSTMConfig, LSTMOptions, LSTMUpstream, LSTMGrads, LSTMOutput } from './cells/lstm';
export { GRU } from './cells/gru';
export type { GRUConfig, GRUOptions, GRUUpstream, GRUGrads, GRUOutput } from './cells/gru';
export { RNNTape } from './scan/tape';
export type { RecurrentActivation } from './cells/activations';
export type { DifferentiableOptions } from './scan/differentiable';

// Weight layouts: PyTorch's and the textbook's, to and from Keras's.
export {
  textbookToKeras as simpleRNNTextbookToKeras,
  kerasToTextbook as simpleRNNKerasToTextbook,
  pytorchToKeras as simpleRNNPytorchToKeras,
  kerasToPytorch as simpleRNNKerasToPytorch,
} from './layouts/simple_rnn';
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

// Loading and saving: models with our layers, models for stock tf.layers, files read as untrusted.
export { loadLayersModel } from './layers';
export { loadKerasModel } from './keras/load_keras_model';
export { saveKerasModel } from './keras/save_keras_model';
export { saveForStock } from './layers'; // and layers.toStockArtifacts, toStockTopology, stockLoadable, stockUnloadable
export { SafeDir, RefusedFileError } from './io/safe_dir';
export type { ReadLimits } from './io/safe_dir';
export { readModelArtifacts } from './io/tfjs_artifacts';
export { fileSystem, writeModelFiles } from './io/model_files';
import { registerFileRouters } from './io/file_router';
export { registerFileRouters };

// Where it runs: backend choice, WebGPU through Dawn, and the doctor.
export {
  initBackend,
  initBackendFromArgv,
  backendFlagFromArgv,
  parseBackendName,
  BACKEND_NAMES,
  BACKEND_ENV_VAR,
  BACKEND_FLAG_HELP,
  MissingKernelError,
  withKernelCheck,
  probeWebGPU,
  assertNoWebGPUErrors,
  runDoctor,
  formatReport as formatDoctorReport,
} from './platform';
export type {
  InitBackendOptions,
  BackendInfo,
  BackendName,
  BackendRequest,
  BackendAttempt,
  WebGPUProbe,
  WebGPUInfo,
  DoctorOptions,
  DoctorReport,
} from './platform';

registerFileRouters(); // model.save('file://dir') and tf.loadLayersModel('file://dir/model.json') in plain Node (src/io/file_router.ts)
