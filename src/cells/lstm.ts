/**
 * LSTM: Keras's long short-term memory cell, with its backward pass (BPTT) by hand.
 *
 * Shapes: B batch, T time steps, D input features, H units. Keras layout, gate order i, f, c, o.
 *
 *   x        [B, T, D]   input (or [T, D] for one sequence)
 *   h0, c0   [B, H]      initial state and cell state (zeros when absent)
 *   kernel   W [D, 4H]   recurrentKernel U [H, 4H]   bias b [4H] (forget block 1 with unitForgetBias)
 *
 * Forward, for t = 1..T (rec = recurrentActivation, default sigmoid; act = activation, default tanh):
 *   z_t = x_t · W + h_{t-1} · U + b  = [z_i, z_f, z_c, z_o]        [B, 4H]
 *   i, f, o = rec(z_i), rec(z_f), rec(z_o);   c̃ = act(z_c)          [B, H] each
 *   c_t = f ⊙ c_{t-1} + i ⊙ c̃;   h_t = o ⊙ act(c_t)
 *   sequence = [h_1 .. h_T];  last = h_T;  lastCell = c_T
 *
 * Backward of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last + Σ dLastCell ⊙ lastCell, t = T..1:
 *   dh_t = dSequence_t + (dh from step t+1, or dLast)      dc_t = (dc from step t+1, or dLastCell)
 *   dc   = dc_t + dh_t ⊙ o ⊙ act'(c_t)
 *   dz   = [dc ⊙ c̃ ⊙ i',  dc ⊙ c_{t-1} ⊙ f',  dc ⊙ i ⊙ c̃',  dh_t ⊙ act(c_t) ⊙ o']     [B, 4H]
 *   dh_{t-1} = dz · Uᵀ (+ dSequence_{t-1});   dc_{t-1} = dc ⊙ f
 *   ∂W = Σ_t x_tᵀ dz;  ∂U = Σ_t h_{t-1}ᵀ dz;  ∂b = Σ dz;  ∂x_t = dz · Wᵀ
 * (x' is the derivative at the step's pre-activation, read off the gate's output: σ' = σ(1 − σ).)
 *
 * How it runs: a step is one fused matMul over all four gates, one cut into the gate blocks, and the
 * activations; the per-step factors of the backward (o ⊙ act'(c), the bracket of dz without dc and
 * dh, and f) are computed for all steps at once before its loop, so that a backward step is five
 * elementwise kernels and one fused matMul.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, Activation, RECURRENT_ACTIVATIONS, RecurrentActivation, activate, derivativeFromOutput, stepNeedsAutodiff, timesOrSelf } from './activations';
import { checkBoolean, checkList, checkOneOf } from './checks';
import type { CellDescriptor } from './descriptor';
import { autodiffLSTM } from '../reference/autodiff';
import { lstmReferenceBackward, lstmReferenceForward } from '../reference/lstm';
import type { GatedReferenceOptions } from '../reference/shared';
import { hasWasmLstmStep, LstmStepRecurrent, wasmLstmStep } from '../platform/backend/wasm_lstm_step';
import { maskedPrevious, maskedRecurrent, recurrentThroughMask } from './dropout';
import { RecurrentCell, RecurrentCellConfig } from './recurrent_cell';
import { initKernel, initRecurrentKernel } from '../init';
import { lstmEngine } from '../platform/webgpu/fused/engines';
import { BackwardRun, CellMath, ForwardRun, kerasParameters } from '../scan/contract';
import type { DifferentiableOptions } from '../scan/differentiable';
import { splitColumns } from '../scan/split_columns';
import { withStepAutodiff } from '../scan/step_autodiff';
import type { RNNTape } from '../scan/tape';

export interface LSTMOptions {
  /** Of the candidate and the cell output. Default 'tanh'. */
  activation?: Activation;
  /** Of the gates i, f, o. Default 'sigmoid' (Keras's; tf.layers' default is 'hardSigmoid'). */
  recurrentActivation?: RecurrentActivation;
}

interface LSTMForwardRun extends ForwardRun {
  U: tf.Tensor2D; // [H, 4H]
  b: tf.Tensor1D | null; // [4H], added in the step (see prepareForward)
  /** On wasm, the recurrent activation of our one-kernel step (wasm_lstm_step.ts), or null: tfjs's ops. */
  wasmStep: LstmStepRecurrent | null;
}

interface LSTMBackwardRun extends BackwardRun {
  Ut: tf.Tensor2D; // [4H, H]
}

/** The four gate blocks' widths of a [..., 4H] tensor. */
function quarters(t: tf.Tensor): number[] {
  return new Array(4).fill(t.shape[t.rank - 1] / 4);
}

/**
 * The step math of an LSTM. With recurrent dropout (constant `recurrent`, m [B, H]) the product is
 * (h_{t-1} ⊙ m) · U, as in Keras and tf.layers.
 */
export function lstmMath(options: Required<LSTMOptions>, useBias = true): CellMath {
  const { activation: act, recurrentActivation: rec } = options;
  const math: CellMath<LSTMForwardRun, LSTMBackwardRun> = {
    name: 'LSTM',
    gates: 4,
    stateNames: ['h', 'c'],
    savedNames: ['i', 'f', 'c̃', 'o'],
    parameters: kerasParameters(4, useBias ? (_D, H) => [4 * H] : null),
    prepareForward(w) {
      // The bias is added after x_t·W + h_{t−1}·U, as the textbook loop rounds (see simple_rnn.ts).
      const wasmStep = hasWasmLstmStep(act, rec) ? rec : null; // chosen per forward pass, by the backend it runs on
      return { projectionKernel: w.kernel as tf.Tensor2D, projectionBias: null, U: w.recurrentKernel as tf.Tensor2D, b: (w.bias ?? null) as tf.Tensor1D | null, wasmStep };
    },
    forwardStep(run, p, [h, c], ops, constants) {
      if (run.wasmStep !== null) {
        // wasm: the gate math after h·U in one kernel of our own (src/platform/backend/wasm_lstm_step.ts)
        const [cNext, hNext, i, f, g, o] = wasmLstmStep(tf.matMul(maskedPrevious(h, constants), run.U), p, run.b, c, run.wasmStep);
        return { states: [hNext, cNext], saved: [i, f, g, o] };
      }
      let z = ops.matMulAdd(maskedPrevious(h, constants), run.U, p); // x_t·W + h_{t-1}·U  [B, 4H]
      if (run.b !== null) z = tf.add(z, run.b) as tf.Tensor2D; // z_t
      const [zi, zf, zc, zo] = splitColumns(z, quarters(z));
      const [i, f, g, o] = [activate(rec, zi), activate(rec, zf), activate(act, zc), activate(rec, zo)] as tf.Tensor2D[];
      const cNext = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D; // c_t  [B, H]
      const hNext = tf.mul(o, activate(act, cNext)) as tf.Tensor2D; // h_t  [B, H]
      return { states: [hNext, cNext], saved: [i, f, g, o] };
    },
    prepareBackward(w, tape) {
      const [i, f, g, o] = tape.saved; // [·, ·, H] each
      const tc = activate(act, tape.states[1]); // act(c_t)
      const Kh = timesOrSelf(o, derivativeFromOutput(act, tc)); // dc += dh ⊙ o ⊙ act'(c_t)
      const M = tf.concat(
        [
          timesOrSelf(g, derivativeFromOutput(rec, i)), // c̃ ⊙ i'
          timesOrSelf(tape.previous(1), derivativeFromOutput(rec, f)), // c_{t-1} ⊙ f'
          timesOrSelf(i, derivativeFromOutput(act, g)), // i ⊙ c̃'
          timesOrSelf(tc, derivativeFromOutput(rec, o)), // act(c_t) ⊙ o'
        ],
        2,
      ) as tf.Tensor3D; // [·, ·, 4H]
      return { Ut: tf.transpose(w.recurrentKernel as tf.Tensor2D), coefficients: [Kh as tf.Tensor3D, M, f as tf.Tensor3D] };
    },
    backwardStep(run, [Kh, M, f], [dh, dcNext], dSeqPrev, ops, wantPrevious, constants) {
      const dc = tf.add(dcNext, tf.mul(dh, Kh)) as tf.Tensor2D; // ∂L/∂c_t, all paths  [B, H]
      const dz = tf.mul(tf.concat([dc, dc, dc, dh], 1), M) as tf.Tensor2D; // ∂L/∂z_t  [B, 4H]
      const previous = wantPrevious ? [recurrentThroughMask(ops, dz, run.Ut, dSeqPrev, constants), tf.mul(dc, f) as tf.Tensor2D] : [];
      return { dProjection: dz, dStatesPrevious: previous };
    },
    recurrentOperands: maskedRecurrent,
    sequenceEngine: (context) => lstmEngine(options, context), // the fused WebGPU kernels, where they apply
  };
  return (stepNeedsAutodiff(act, rec) ? withStepAutodiff(math as unknown as CellMath) : math) as CellMath;
}

export interface LSTMConfig extends RecurrentCellConfig, LSTMOptions {
  /** Initialise the forget-gate bias to 1 (Keras's default, true). */
  unitForgetBias?: boolean;
}

export interface LSTMUpstream {
  /** ∂L/∂sequence, shape of `sequence`. */
  dSequence?: tf.Tensor;
  /** ∂L/∂last (h_T), shape of `last`. */
  dLast?: tf.Tensor;
  /** ∂L/∂lastCell (c_T), shape of `lastCell`. */
  dLastCell?: tf.Tensor;
}

export interface LSTMGrads {
  kernel: tf.Tensor2D; // [D, 4H]
  recurrentKernel: tf.Tensor2D; // [H, 4H]
  bias: tf.Tensor1D | null; // [4H]
  input: tf.Tensor; // shape of x
  initialState: tf.Tensor; // ∂L/∂h0
  initialCell: tf.Tensor; // ∂L/∂c0
  /** ∂L/∂h_t for all t, when asked for with returnStateGradients. */
  state?: tf.Tensor;
}

export interface LSTMOutput {
  sequence: tf.Tensor; // [B, T, H] or [T, H]
  last: tf.Tensor; // h_T  [B, H] or [H]
  lastCell: tf.Tensor; // c_T
  tape: RNNTape;
}

export class LSTM extends RecurrentCell {
  readonly activation: Activation;
  readonly recurrentActivation: RecurrentActivation;
  readonly unitForgetBias: boolean;

  /** b [4H], or null when useBias is false. */
  override get bias(): tf.Variable<tf.Rank.R1> | null {
    return (this.variables.bias ?? null) as tf.Variable<tf.Rank.R1> | null;
  }

  constructor(config: LSTMConfig) {
    if (config == null || typeof config !== 'object') {
      throw new Error(`expected a config { inputDim, units, ... }, got ${String(config)}`);
    }
    const options = {
      activation: checkOneOf('activation', config.activation ?? 'tanh', ACTIVATIONS),
      recurrentActivation: checkOneOf('recurrentActivation', config.recurrentActivation ?? 'sigmoid', RECURRENT_ACTIVATIONS),
    };
    const unitForgetBias = checkBoolean('unitForgetBias', config.unitForgetBias, true);
    super(
      config,
      {
        prefix: 'lstm',
        init: {
          kernel: (D, H, seed) => initKernel(D, 4 * H, seed),
          recurrentKernel: (_D, H, seed) => initRecurrentKernel(H, seed, 4 * H),
          bias: (_D, H) => tf.tensor1d(new Float32Array(4 * H).fill(unitForgetBias ? 1 : 0, H, 2 * H)),
        },
      },
      lstmMath(options, checkBoolean('useBias', config.useBias, true)),
    );
    this.activation = options.activation;
    this.recurrentActivation = options.recurrentActivation;
    this.unitForgetBias = unitForgetBias;
  }

  /**
   * x [B, T, D] or [T, D]; h0, c0 [B, H] or [H] (zeros when absent). Returns sequence, last (h_T),
   * lastCell (c_T) and the tape for backward(); the caller disposes all four.
   */
  forward(x: tf.Tensor, h0?: tf.Tensor | null, c0?: tf.Tensor | null): LSTMOutput {
    const { sequence, last, tape } = this.forwardStates(x, [h0, c0]);
    return { sequence, last: last[0], lastCell: last[1], tape };
  }

  /** Manual BPTT from any subset of the upstream gradients. Does not dispose the tape. */
  backward(tape: RNNTape, upstream: LSTMUpstream, options: { returnStateGradients?: boolean } = {}): LSTMGrads {
    const g = this.backwardStates(tape, upstream, options);
    const out: LSTMGrads = {
      kernel: g.params.kernel as tf.Tensor2D,
      recurrentKernel: g.params.recurrentKernel as tf.Tensor2D,
      bias: (g.params.bias ?? null) as tf.Tensor1D | null,
      input: g.input,
      initialState: g.initial[0],
      initialCell: g.initial[1],
    };
    if (g.state !== undefined) out.state = g.state;
    return out;
  }

  /** The weight gradients alone (no ∂x, ∂h0, ∂c0). */
  weightGradients(tape: RNNTape, upstream: LSTMUpstream): Pick<LSTMGrads, 'kernel' | 'recurrentKernel' | 'bias'> {
    const g = this.weightGradientsStates(tape, upstream);
    return { kernel: g.kernel as tf.Tensor2D, recurrentKernel: g.recurrentKernel as tf.Tensor2D, bias: (g.bias ?? null) as tf.Tensor1D | null };
  }

  /**
   * Differentiable application (gradient = manual BPTT). x [B, T, D]; initial states [h0, c0]
   * ([B, H] or null each). Returns [output] or, with returnState, [output, h_T, c_T].
   */
  apply(x: tf.Tensor3D, initialStates: Array<tf.Tensor2D | null> = [], options: DifferentiableOptions = {}): tf.Tensor[] {
    return this.applyStates(x, checkList('initialStates', initialStates, ['h0', 'c0']), options);
  }
}

/** LSTM in the registry (src/cells/registry.ts). */
export const LSTM_CELL: CellDescriptor = {
  id: 'lstm',
  label: 'LSTM',
  kerasClass: 'LSTM',
  layerPrefix: 'lstm',
  gates: 4,
  stateNames: ['h', 'c'],
  gated: true,
  math: (o) => lstmMath(o, o.useBias),
  make: (config, o) => new LSTM({ ...config, activation: o.activation, recurrentActivation: o.recurrentActivation, useBias: o.useBias }),
  biasShape: (H) => [4 * H],
  layerOptions: (o) => ({ activation: o.activation, recurrentActivation: o.recurrentActivation, useBias: o.useBias }),
  stockRuns: () => true,
  stockLayer: (args, o) => tf.layers.lstm({ ...args, activation: o.activation, recurrentActivation: o.recurrentActivation, useBias: o.useBias } as Parameters<typeof tf.layers.lstm>[0]),
  autodiff: (x, w, [h0, c0], o) => {
    const r = autodiffLSTM(x, w[0] as tf.Tensor2D, w[1] as tf.Tensor2D, (w[2] ?? null) as tf.Tensor1D | null, h0, c0, o);
    return { sequence: r.sequence, last: [r.last, r.lastCell] };
  },
  reference: (x, shape, w, [h0, c0], up, o) => {
    const ro = o as unknown as GatedReferenceOptions;
    const f = lstmReferenceForward(x, shape, w, h0, c0, ro);
    const g = lstmReferenceBackward(x, shape, w, h0, c0, { dSequence: up.dSequence, dLast: up.dLast[0], dLastCell: up.dLast[1] }, ro);
    return { sequence: f.sequence, last: [f.last, f.lastCell], grads: { ...g, initial: [g.initialState, g.initialCell] } };
  },
};
