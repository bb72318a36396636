/**
 * GRU: Keras's gated recurrent unit in both of its forms, with its backward pass (BPTT) by hand.
 *
 * Shapes: B batch, T time steps, D input features, H units. Keras layout, gate order z, r, h.
 *
 *   x        [B, T, D]   input (or [T, D] for one sequence)
 *   h0       [B, H]      initial state (zeros when absent)
 *   kernel   W [D, 3H]   recurrentKernel U [H, 3H]
 *   bias     resetAfter: [2, 3H] (row 0 input bias b, row 1 recurrent bias b'); else b [3H]
 *
 * Forward, for t = 1..T (rec = recurrentActivation, default sigmoid; act = activation, default tanh),
 * with p = x_t · W + b = [p_z, p_r, p_h]:
 *   resetAfter (Keras ≥ 2.3, PyTorch and cuDNN):   R = h_{t-1} · U + b' = [R_z, R_r, R_h]
 *     z = rec(p_z + R_z);  r = rec(p_r + R_r);  h̃ = act(p_h + r ⊙ R_h)
 *   resetAfter false (the Keras 1 form, the only one tf.layers.gru has):
 *     z = rec(p_z + h_{t-1} · U_z);  r = rec(p_r + h_{t-1} · U_r);  h̃ = act(p_h + (r ⊙ h_{t-1}) · U_h)
 *   h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃
 *
 * Backward of L = Σ dSequence ⊙ sequence + Σ dLast ⊙ last, t = T..1, from dh = dh_t:
 *   da_h = dh ⊙ (1 − z) ⊙ act'      (∂L/∂ of h̃'s pre-activation)
 *   dp_z = dh ⊙ (h_{t-1} − h̃) ⊙ z'
 *   resetAfter:  dp_r = da_h ⊙ R_h ⊙ r';   dR = [dp_z, dp_r, da_h ⊙ r];   dp = [dp_z, dp_r, da_h]
 *                dh_{t-1} = dR · Uᵀ + dh ⊙ z
 *                ∂U = Σ h_{t-1}ᵀ dR;  ∂b' = Σ dR
 *   else:        d(rh) = da_h · U_hᵀ;  dp_r = d(rh) ⊙ h_{t-1} ⊙ r';  dp = [dp_z, dp_r, da_h]
 *                dh_{t-1} = [dp_z, dp_r] · U_zrᵀ + d(rh) ⊙ r + dh ⊙ z
 *                ∂U_zr = Σ h_{t-1}ᵀ [dp_z, dp_r];  ∂U_h = Σ (r ⊙ h_{t-1})ᵀ da_h
 *   ∂W = Σ x_tᵀ dp;  ∂b = Σ dp;  ∂x_t = dp · Wᵀ   (dSequence_{t-1} is added to dh_{t-1})
 * (x' is the derivative at the pre-activation, read off the output: σ' = σ(1 − σ), tanh' = 1 − h̃².)
 *
 * How it runs: the factors of dh above that do not depend on dh are computed for all steps at once
 * before the backward loop, so a backward step is a few elementwise kernels and one fused matMul.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, Activation, RECURRENT_ACTIVATIONS, RecurrentActivation, activate, derivativeFromOutput, isElementwise, stepNeedsAutodiff, timesOrSelf } from './activations';
import { checkBoolean, checkOneOf } from './checks';
import type { CellDescriptor } from './descriptor';
import { autodiffGRU } from '../reference/autodiff';
import { gruReferenceBackward, gruReferenceForward } from '../reference/gru';
import type { GatedReferenceOptions } from '../reference/shared';
import { maskedPrevious } from './dropout';
import { RecurrentCell, RecurrentCellConfig } from './recurrent_cell';
import { initKernel, initRecurrentKernel } from '../init';
import { gruEngine } from '../platform/webgpu/fused/engines';
import { BackwardRun, CellMath, ForwardRun, kerasParameters } from '../scan/contract';
import type { DifferentiableOptions } from '../scan/differentiable';
import { matrixRow } from '../scan/ops';
import { splitColumns } from '../scan/split_columns';
import { withStepAutodiff } from '../scan/step_autodiff';
import type { RNNTape } from '../scan/tape';

export interface GRUOptions {
  /** Of the candidate h̃. Default 'tanh'. */
  activation?: Activation;
  /** Of the gates z, r. Default 'sigmoid' (Keras's; tf.layers' default is 'hardSigmoid'). */
  recurrentActivation?: RecurrentActivation;
  /** Reset gate after the recurrent matMul (Keras ≥ 2.3, PyTorch, cuDNN). Default true. */
  resetAfter?: boolean;
}

interface GRUForwardRun extends ForwardRun {
  U: tf.Tensor2D; // resetAfter: U [H, 3H]; else U_zr [H, 2H]
  Uh: tf.Tensor2D | null; // resetAfter false: U_h [H, H]
  recurrentBias: tf.Tensor1D | null; // resetAfter: b' [3H]
}

interface GRUBackwardRun extends BackwardRun {
  Ut: tf.Tensor2D; // resetAfter: Uᵀ [3H, H]; else U_zrᵀ [2H, H]
  Uht: tf.Tensor2D | null; // U_hᵀ [H, H]
}

/** The bias's shape: [2, 3H] (input and recurrent rows) with resetAfter, else [3H]. */
export function gruBiasShape(resetAfter: boolean): (D: number, H: number) => number[] {
  return (_D, H) => (resetAfter ? [2, 3 * H] : [3 * H]);
}

/**
 * The step math of a GRU. With recurrent dropout (constant `recurrent`, m [B, H]) h_{t-1} ⊙ m
 * enters the recurrent products only, as in Keras (z ⊙ h_{t-1} keeps the whole state; tf.layers
 * masks it there too).
 */
export function gruMath(options: Required<GRUOptions>, useBias = true): CellMath {
  const { activation: act, recurrentActivation: rec, resetAfter } = options;
  /** [z, r] = rec of each H-wide half (softmax is taken over each gate, not over both). */
  const gates = (a: tf.Tensor, H: number): tf.Tensor2D =>
    (isElementwise(rec) ? activate(rec, a) : tf.concat(splitColumns(a, [H, H]).map((half) => activate(rec, half)), 1)) as tf.Tensor2D;
  const math: CellMath<GRUForwardRun, GRUBackwardRun> = {
    name: 'GRU',
    gates: 3,
    stateNames: ['h'],
    // resetAfter: z|r, h̃ and R_h (for dp_r); else z|r, h̃ and r ⊙ h_{t-1} (the operand of ∂U_h).
    savedNames: resetAfter ? ['zr', 'candidate', 'recurrentCandidate'] : ['zr', 'candidate', 'resetState'],
    parameters: kerasParameters(3, useBias ? gruBiasShape(resetAfter) : null, resetAfter ? ['projection', 'recurrent'] : ['projection']),
    prepareForward(w) {
      const U = w.recurrentKernel as tf.Tensor2D;
      const H = U.shape[0];
      const b = w.bias ?? null;
      const W = w.kernel as tf.Tensor2D;
      if (resetAfter) return { projectionKernel: W, projectionBias: b && matrixRow(b, 0), U, Uh: null, recurrentBias: b && matrixRow(b, 1) };
      return { projectionKernel: W, projectionBias: b as tf.Tensor1D | null, U: tf.slice(U, [0, 0], [H, 2 * H]), Uh: tf.slice(U, [0, 2 * H], [H, H]), recurrentBias: null };
    },
    forwardStep(run, p, [h], ops, constants) {
      const H = h.shape[1];
      const hm = maskedPrevious(h, constants); // h_{t-1} as the recurrent products see it
      const [pzr, ph] = splitColumns(p, [2 * H, H]) as tf.Tensor2D[];
      let zr: tf.Tensor2D, z: tf.Tensor, hc: tf.Tensor, third: tf.Tensor2D;
      if (resetAfter) {
        const [Rzr, Rh] = splitColumns(ops.matMulAdd(hm, run.U, run.recurrentBias), [2 * H, H]); // h·U + b'
        zr = gates(tf.add(pzr, Rzr), H); // [z, r]  [B, 2H]
        const [zz, r] = splitColumns(zr, [H, H]);
        z = zz;
        hc = activate(act, tf.add(ph, tf.mul(r, Rh))); // h̃
        third = Rh as tf.Tensor2D;
      } else {
        zr = rec === 'sigmoid' ? ops.matMulAdd(hm, run.U, pzr, 'sigmoid') : gates(ops.matMulAdd(hm, run.U, pzr), H);
        const [zz, r] = splitColumns(zr, [H, H]);
        z = zz;
        third = tf.mul(r, hm) as tf.Tensor2D; // r ⊙ h_{t-1}
        hc = activate(act, ops.matMulAdd(third, run.Uh as tf.Tensor2D, ph)); // h̃
      }
      // The convex form: h̃ + z ⊙ (h − h̃) saves a kernel but cancels when z ≈ 1 and |h| ≪ |h̃|.
      const hNext = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hc)) as tf.Tensor2D; // z ⊙ h + (1 − z) ⊙ h̃
      return { states: [hNext], saved: [zr, hc as tf.Tensor2D, third] };
    },
    prepareBackward(w, tape, _ops, constants) {
      const U = w.recurrentKernel as tf.Tensor2D;
      const H = U.shape[0];
      const [zr, hc, third] = tape.saved;
      const [z, r] = splitColumns(zr, [H, H]); // [·, ·, H] each
      const hPrev = tape.previous(0);
      const Ch = timesOrSelf(tf.sub(1, z), derivativeFromOutput(act, hc)); // da_h = dh ⊙ Ch
      const Cz = timesOrSelf(tf.sub(hPrev, hc), derivativeFromOutput(rec, z)); // dp_z = dh ⊙ Cz
      const dr = derivativeFromOutput(rec, r);
      if (resetAfter) {
        const Cr = timesOrSelf(tf.mul(Ch, third), dr); // dp_r = dh ⊙ Cr
        const Mp = tf.concat([Cz, Cr, Ch], 2) as tf.Tensor3D; // dp = [dh, dh, dh] ⊙ Mp
        const Mr = tf.concat([Cz, Cr, tf.mul(Ch, r)], 2) as tf.Tensor3D; // dR = [dh, dh, dh] ⊙ Mr
        return { Ut: tf.transpose(U), Uht: null, coefficients: [Mp, Mr, z as tf.Tensor3D] };
      }
      const m = constants.recurrent;
      const Kr = timesOrSelf(m === undefined ? hPrev : tape.timesPerStep(hPrev as tf.Tensor3D, m), dr); // dp_r = d(rh) ⊙ Kr
      return {
        Ut: tf.transpose(tf.slice(U, [0, 0], [H, 2 * H])),
        Uht: tf.transpose(tf.slice(U, [0, 2 * H], [H, H])),
        coefficients: [Ch, Cz, Kr, z, r] as tf.Tensor3D[],
      };
    },
    backwardStep(run, coefficients, [dh], dSeqPrev, ops, wantPrevious, constants) {
      const m = constants.recurrent;
      const sum = (parts: Array<tf.Tensor | null>) => parts.filter((t): t is tf.Tensor => t !== null).reduce((a, b) => tf.add(a, b));
      const masked = (g: tf.Tensor) => (m === undefined ? g : tf.mul(g, m)); // the recurrent products' path
      if (resetAfter) {
        const [Mp, Mr, z] = coefficients;
        const dh3 = tf.concat([dh, dh, dh], 1); // [B, 3H]
        const dp = tf.mul(dh3, Mp) as tf.Tensor2D;
        const dR = tf.mul(dh3, Mr) as tf.Tensor2D;
        const direct = sum([tf.mul(dh, z), dSeqPrev]); // the non-matMul terms of dh_{t-1}
        const previous = !wantPrevious ? [] : [m === undefined ? ops.matMulAdd(dR, run.Ut, direct) : (tf.add(masked(tf.matMul(dR, run.Ut)), direct) as tf.Tensor2D)];
        return { dProjection: dp, dRecurrent: [dR], dStatesPrevious: previous };
      }
      const [Ch, Cz, Kr, z, r] = coefficients;
      const dah = tf.mul(dh, Ch) as tf.Tensor2D; // [B, H]
      const drh = tf.matMul(dah, run.Uht as tf.Tensor2D); // d(r ⊙ h_{t-1})  [B, H]
      const dzr = tf.concat([tf.mul(dh, Cz), tf.mul(drh, Kr)], 1) as tf.Tensor2D; // [dp_z, dp_r]  [B, 2H]
      const dp = tf.concat([dzr, dah], 1) as tf.Tensor2D; // [B, 3H]
      let previous: tf.Tensor2D[] = [];
      if (wantPrevious && m === undefined) previous = [ops.matMulAdd(dzr, run.Ut, sum([tf.mul(drh, r), tf.mul(dh, z), dSeqPrev]))];
      else if (wantPrevious) previous = [sum([masked(tf.add(tf.matMul(dzr, run.Ut), tf.mul(drh, r))), tf.mul(dh, z), dSeqPrev]) as tf.Tensor2D];
      return { dProjection: dp, dRecurrent: [dzr, dah], dStatesPrevious: previous };
    },
    recurrentOperands(tape, constants) {
      const m = constants.recurrent;
      const hPrev = m === undefined ? tape.previous(0) : tape.timesPerStep(tape.previous(0), m);
      return resetAfter ? [hPrev] : [hPrev, tape.saved[2]]; // columns [0, 3H]; or [0, 2H] and [2H, 3H] (r ⊙ h_{t-1})
    },
    sequenceEngine: (context) => gruEngine(options, context), // the fused WebGPU kernels, where they apply
  };
  return (stepNeedsAutodiff(act, rec) ? withStepAutodiff(math as unknown as CellMath) : math) as CellMath;
}

export interface GRUConfig extends RecurrentCellConfig, GRUOptions {}

export interface GRUUpstream {
  /** ∂L/∂sequence, shape of `sequence`. */
  dSequence?: tf.Tensor;
  /** ∂L/∂last, shape of `last`. */
  dLast?: tf.Tensor;
}

export interface GRUGrads {
  kernel: tf.Tensor2D; // [D, 3H]
  recurrentKernel: tf.Tensor2D; // [H, 3H]
  /** [2, 3H] with resetAfter, else [3H]; null without bias. */
  bias: tf.Tensor | null;
  input: tf.Tensor; // shape of x
  initialState: tf.Tensor; // ∂L/∂h0
  /** ∂L/∂h_t for all t, when asked for with returnStateGradients. */
  state?: tf.Tensor;
}

export interface GRUOutput {
  sequence: tf.Tensor; // [B, T, H] or [T, H]
  last: tf.Tensor; // [B, H] or [H]
  tape: RNNTape;
}

export class GRU extends RecurrentCell {
  readonly activation: Activation;
  readonly recurrentActivation: RecurrentActivation;
  readonly resetAfter: boolean;

  constructor(config: GRUConfig) {
    if (config == null || typeof config !== 'object') {
      throw new Error(`expected a config { inputDim, units, ... }, got ${String(config)}`);
    }
    const options = {
      activation: checkOneOf('activation', config.activation ?? 'tanh', ACTIVATIONS),
      recurrentActivation: checkOneOf('recurrentActivation', config.recurrentActivation ?? 'sigmoid', RECURRENT_ACTIVATIONS),
      resetAfter: checkBoolean('resetAfter', config.resetAfter, true),
    };
    const biasShape = gruBiasShape(options.resetAfter);
    super(
      config,
      {
        prefix: 'gru',
        init: {
          kernel: (D, H, seed) => initKernel(D, 3 * H, seed),
          recurrentKernel: (_D, H, seed) => initRecurrentKernel(H, seed, 3 * H),
          bias: (D, H) => tf.zeros(biasShape(D, H)),
        },
      },
      gruMath(options, checkBoolean('useBias', config.useBias, true)),
    );
    this.activation = options.activation;
    this.recurrentActivation = options.recurrentActivation;
    this.resetAfter = options.resetAfter;
  }

  /** x [B, T, D] or [T, D]; h0 [B, H] or [H]. Returns sequence, last and the tape (caller disposes). */
  forward(x: tf.Tensor, h0?: tf.Tensor | null): GRUOutput {
    const { sequence, last, tape } = this.forwardStates(x, [h0]);
    return { sequence, last: last[0], tape };
  }

  /** Manual BPTT. Does not dispose the tape. */
  backward(tape: RNNTape, upstream: GRUUpstream, options: { returnStateGradients?: boolean } = {}): GRUGrads {
    const g = this.backwardStates(tape, upstream, options);
    const out: GRUGrads = {
      kernel: g.params.kernel as tf.Tensor2D,
      recurrentKernel: g.params.recurrentKernel as tf.Tensor2D,
      bias: g.params.bias ?? null,
      input: g.input,
      initialState: g.initial[0],
    };
    if (g.state !== undefined) out.state = g.state;
    return out;
  }

  /** The weight gradients alone (no ∂x, ∂h0). */
  weightGradients(tape: RNNTape, upstream: GRUUpstream): Pick<GRUGrads, 'kernel' | 'recurrentKernel' | 'bias'> {
    const g = this.weightGradientsStates(tape, upstream);
    return { kernel: g.kernel as tf.Tensor2D, recurrentKernel: g.recurrentKernel as tf.Tensor2D, bias: g.bias ?? null };
  }

  /** Differentiable application (gradient = manual BPTT). Returns [output] or [output, h_T]. */
  apply(x: tf.Tensor3D, h0: tf.Tensor2D | null = null, options: DifferentiableOptions = {}): tf.Tensor[] {
    return this.applyStates(x, [h0], options);
  }
}

/** GRU (both forms, by resetAfter) in the registry (src/cells/registry.ts). */
export const GRU_CELL: CellDescriptor = {
  id: 'gru',
  label: 'GRU',
  kerasClass: 'GRU',
  layerPrefix: 'gru',
  gates: 3,
  stateNames: ['h'],
  gated: true,
  math: (o) => gruMath(o, o.useBias),
  make: (config, o) => new GRU({ ...config, activation: o.activation, recurrentActivation: o.recurrentActivation, useBias: o.useBias, resetAfter: o.resetAfter }),
  biasShape: (H, o) => gruBiasShape(o.resetAfter)(0, H),
  layerOptions: (o) => ({ activation: o.activation, recurrentActivation: o.recurrentActivation, useBias: o.useBias, resetAfter: o.resetAfter }),
  stockRuns: (o) => !o.resetAfter, // tf.layers.gruCell refuses reset_after
  stockLayer: (args, o) => tf.layers.gru({ ...args, activation: o.activation, recurrentActivation: o.recurrentActivation, useBias: o.useBias } as Parameters<typeof tf.layers.gru>[0]),
  autodiff: (x, w, [h0], o) => {
    const r = autodiffGRU(x, w[0] as tf.Tensor2D, w[1] as tf.Tensor2D, w[2] ?? null, h0, o);
    return { sequence: r.sequence, last: [r.last] };
  },
  reference: (x, shape, w, [h0], up, o) => {
    const ro = o as unknown as GatedReferenceOptions;
    const f = gruReferenceForward(x, shape, { ...w, resetAfter: o.resetAfter }, h0, ro);
    const g = gruReferenceBackward(x, shape, { ...w, resetAfter: o.resetAfter }, h0, { dSequence: up.dSequence, dLast: up.dLast[0] }, ro);
    return { sequence: f.sequence, last: [f.last], grads: { ...g, initial: [g.initialState] } };
  },
};
