/**
 * `tfjs-rnn/testing`: what proves the library, for those who want to check it (or a cell of their
 * own) the same way. Not needed to use the layers, and kept off the main entry so that it stays
 * the library only.
 *
 * - float64 references: plain loops in double precision, forward, backward and loss, per cell;
 * - finite differences over any scalar function of a parameter vector;
 * - autodiff loops: each cell's step written with tf ops and differentiated by tf.grad;
 * - seeded data: uniform draws from a fixed seed, the same on every run and backend;
 * - the driver's own loops (scanForward / scanBackward over a cell's step math), which the
 *   training app uses for its gradient-flow statistics (∂loss/∂h_t per step, src/train/grad_flow.ts);
 * - the cell registry (one descriptor per built-in cell), which the training app, the benchmarks
 *   and the proof tables iterate.
 */
export {
  simpleRNNReferenceForward,
  simpleRNNReferenceBackward,
  simpleRNNReferenceLoss,
  finiteDifferenceGrad,
} from './reference/simple_rnn';
export type {
  ReferenceActivation,
  ReferenceRecurrentActivation,
  ReferenceShape,
  ReferenceWeights as SimpleRNNReferenceWeights,
  ReferenceForwardResult as SimpleRNNReferenceForwardResult,
  ReferenceUpstream as SimpleRNNReferenceUpstream,
  ReferenceGradients as SimpleRNNReferenceGradients,
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
export { seededArray, seededTensor } from './seeded';
/** The norm-wise relative error every proof reports. */
export { relErr } from './reference/rel_err';
export { scanForward, scanBackward } from './scan/scan';
export type { ScanForwardResult, ScanUpstream, ScanBackwardOptions, ScanGradients } from './scan/scan';
export type { CellMath, Params } from './scan/contract';
export { simpleRNNMath } from './cells/simple_rnn';
export { lstmMath } from './cells/lstm';
export { gruMath } from './cells/gru';
/** The cell registry: one descriptor per built-in cell (math, class, stock layer, autodiff loop, float64 reference). */
export { CELLS, CELL_IDS, cellById, cellByKerasClass } from './cells/registry';
export { KERAS_DEFAULTS } from './cells/descriptor';
export type { CellDescriptor, CellId, CellOptions, Float64Weights, Float64Result } from './cells/descriptor';
