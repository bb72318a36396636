/**
 * The three proofs, without jest, for the device bundle (run.sh runs them on the GPU's webgpu
 * backend): for each cell, on seeded weights, inputs and upstream gradients,
 *   parity    our forward sequence = the stock tf.layers layer's, same weights;
 *   autodiff  our manual BPTT weight gradients = tf.variableGrads of the plain tf loop;
 *   float64   our sequence and weight gradients = the float64 reference's (src/reference/);
 *   fused-float64  (LSTM) the fused WebGPU step's (src/platform/webgpu/fused/) likewise.
 * Every comparison is the norm-wise relative error max|a − b| / max|b| (as test/helpers.ts), and
 * passes at ≤ 1e-5, the bound the jest proofs use on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import {
  gruReferenceBackward,
  gruReferenceForward,
  lstmReferenceBackward,
  lstmReferenceForward,
  relErr,
  seededTensor,
  simpleRNNReferenceBackward as referenceBackward,
  simpleRNNReferenceForward as referenceForward,
} from '../../src/testing';
import { disposeTape, fusedLSTMBackward, fusedLSTMForward } from '../../src/platform/webgpu/fused/lstm_loop';
import { CELLS, CellName, Weights } from '../cells';

export const PROOF_TOLERANCE = 1e-5;

export type ProofName = 'parity' | 'autodiff' | 'float64' | 'fused-float64';

export interface ProofResult {
  cell: CellName;
  proof: ProofName;
  /** Like B4xT17xD5xH9. */
  shape: string;
  /** Relative error of each compared tensor. */
  errors: Record<string, number>;
  worst: number;
  pass: boolean;
  /** Set when the check threw instead of comparing. */
  error?: string;
}

/** The shapes each proof runs at: tiny, odd sizes, and one with a long recurrence. */
export const PROOF_SHAPES = [
  { B: 1, T: 1, D: 1, H: 1 },
  { B: 4, T: 17, D: 5, H: 9 },
  { B: 3, T: 40, D: 32, H: 64 },
];

type Shape = (typeof PROOF_SHAPES)[number];


async function read(t: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}

/** The float64 reference's sequence and weight gradients for the cell (zero initial states). */
function reference(cell: CellName, x: Float64Array, s: Shape, w: Float64Array[], dSequence: Float64Array): Float64Array[] {
  const shape = { B: s.B, T: s.T, D: s.D };
  const weights = { kernel: w[0], recurrentKernel: w[1], bias: w[2], H: s.H };
  const up = { dSequence, dLast: null };
  if (cell === 'simple') {
    const f = referenceForward(x, shape, weights, null, 'tanh');
    const g = referenceBackward(x, shape, weights, null, 'tanh', up);
    return [f.sequence, g.kernel, g.recurrentKernel, g.bias as Float64Array];
  }
  if (cell === 'lstm') {
    const f = lstmReferenceForward(x, shape, weights, null, null);
    const g = lstmReferenceBackward(x, shape, weights, null, null, up);
    return [f.sequence, g.kernel, g.recurrentKernel, g.bias as Float64Array];
  }
  const wg = { ...weights, resetAfter: false };
  const f = gruReferenceForward(x, shape, wg, null);
  const g = gruReferenceBackward(x, shape, wg, null, up);
  return [f.sequence, g.kernel, g.recurrentKernel, g.bias as Float64Array];
}

const NAMES = ['sequence', 'kernel', 'recurrentKernel', 'bias'];

/** One cell at one shape: all three proofs on the same draws. Leaves no tensor behind. */
export async function proveCell(name: CellName, s: Shape, seed: number): Promise<ProofResult[]> {
  const spec = CELLS[name];
  const label = `B${s.B}xT${s.T}xD${s.D}xH${s.H}`;
  const ours = spec.ours!(s.D, s.H, seed);
  const w = ours.getWeights() as Weights;
  const x = seededTensor([s.B, s.T, s.D], seed + 1); // [B, T, D]
  const dSeq = seededTensor([s.B, s.T, s.H], seed + 2); // [B, T, H]
  const model = tf.sequential({ layers: [spec.layer.make(s.D, s.H)] });
  const vars = w.map((t) => tf.variable(t, true));
  const out: ProofResult[] = [];
  const result = (proof: ProofName, errors: Record<string, number>): ProofResult => {
    const worst = Math.max(...Object.values(errors));
    return { cell: name, proof, shape: label, errors, worst, pass: worst <= PROOF_TOLERANCE };
  };
  try {
    model.layers[0].setWeights(w);
    const fwd = ours.forward(x);
    const g = ours.weightGradients(fwd.tape, { dSequence: dSeq });
    const oursValues = await Promise.all([fwd.sequence, g.kernel, g.recurrentKernel, g.bias!].map(read));

    const stock = model.predict(x) as tf.Tensor; // [B, T, H]
    out.push(result('parity', { sequence: relErr(oursValues[0], await read(stock)) }));

    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(dSeq, spec.loop.run(x, vars as unknown as Weights))) as tf.Scalar, vars);
    const auto = await Promise.all(vars.map((v) => read(grads[v.name])));
    out.push(result('autodiff', Object.fromEntries(NAMES.slice(1).map((n, k) => [n, relErr(oursValues[k + 1], auto[k])]))));

    const ref = reference(name, await read(x), s, await Promise.all(w.map(read)), await read(dSeq));
    out.push(result('float64', Object.fromEntries(NAMES.map((n, k) => [n, relErr(oursValues[k], ref[k])]))));

    fwd.tape.dispose();
    tf.dispose([fwd.sequence, fwd.last, ...(fwd.lastCell ? [fwd.lastCell] : []), g.kernel, g.recurrentKernel, g.bias!, stock, value, ...Object.values(grads)]);
  } finally {
    tf.dispose([...w, ...vars, x, dSeq]);
    model.dispose();
    ours.dispose();
  }
  return out;
}

/** The fused LSTM on the same draws as proveCell's: sequence and weight gradients vs float64. */
export async function proveFusedLSTM(s: Shape, seed: number): Promise<ProofResult> {
  const ours = CELLS.lstm.ours!(s.D, s.H, seed);
  const w = ours.getWeights() as Weights;
  ours.dispose();
  const x = seededTensor([s.B, s.T, s.D], seed + 1) as tf.Tensor3D; // [B, T, D]
  const dSeq = seededTensor([s.B, s.T, s.H], seed + 2) as tf.Tensor3D; // [B, T, H]
  const zeros = tf.zeros([s.B, s.H]) as tf.Tensor2D;
  const gates = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
  const fw = { W: w[0] as tf.Tensor2D, U: w[1] as tf.Tensor2D, b: w[2] as tf.Tensor1D };
  try {
    const { sequence, tape } = fusedLSTMForward(x, fw, zeros, zeros, gates);
    const g = fusedLSTMBackward(tape, fw, dSeq, null, null, gates);
    const got = await Promise.all([sequence, g.kernel, g.recurrentKernel, g.bias!].map(read));
    disposeTape(tape);
    tf.dispose([sequence, g.kernel, g.recurrentKernel, g.bias!, g.input, g.initialState, g.initialCell]);
    const ref = reference('lstm', await read(x), s, await Promise.all(w.map(read)), await read(dSeq));
    const errors = Object.fromEntries(NAMES.map((n, k) => [n, relErr(got[k], ref[k])]));
    const worst = Math.max(...Object.values(errors));
    return { cell: 'lstm', proof: 'fused-float64', shape: `B${s.B}xT${s.T}xD${s.D}xH${s.H}`, errors, worst, pass: worst <= PROOF_TOLERANCE };
  } finally {
    tf.dispose([...w, x, dSeq, zeros]);
  }
}
