/**
 * The fused WebGPU loops (lstm_loop.ts, gru_loop.ts, simple_rnn.ts) as the built-in cells' sequence
 * engines (src/scan/contract.ts, SequenceEngine): what differentiableScan — and so the drop-in
 * layers' predict, fit and tf.grads — runs on the webgpu backend in place of the driver's step loop.
 *
 * An engine is offered only where the kernels compute what the step loop computes: the webgpu
 * backend, both activations among the fused ones (activations_wgsl.ts), no per-sequence constants
 * (dropout masks: the kernels have no recurrent dropout); a mask [B, T] goes to every loop as [T, B].
 * Else null: the step loop runs.
 *
 * The loops' tapes (per-step tensors, the weights as they were at forward time) go to tf.customGrad's
 * save() as one flat list and come back whole for the backward (flatTape / unflatTape).
 */
import * as tf from '@tensorflow/tfjs';
import type { Params, SequenceContext, SequenceEngine, SequenceGradients, SequenceWants } from '../../../scan/contract';
import { FusedActivation, hasFusedActivation } from './activations_wgsl';
import type { GRUOptions } from './gru';
import { fusedGRUBackward, fusedGRUForward } from './gru_loop';
import { fusedLSTMBackward, fusedLSTMForward } from './lstm_loop';
import { SimpleRNNOptions, fusedSimpleRNNBackward, fusedSimpleRNNForward } from './simple_rnn';

const ENGINE_NAME = 'webgpu-fused';

/** Whether a fused loop can run this call: webgpu, no constants (every loop takes a mask). */
function fusable(context: SequenceContext): boolean {
  return context.backend === 'webgpu' && context.constantNames.length === 0;
}

/** Both names have a fused WGSL form. */
function fusedPair(activation: string, recurrentActivation: string): { activation: FusedActivation; recurrentActivation: FusedActivation } | null {
  return hasFusedActivation(activation) && hasFusedActivation(recurrentActivation) ? { activation, recurrentActivation } : null;
}

const AT = Symbol('tensor');
type Skeleton = unknown;

/** Any structure of tensors (arrays, plain objects, null) as its tensors in order and a skeleton. */
function flatTape(tree: unknown): { list: tf.Tensor[]; skeleton: Skeleton } {
  const list: tf.Tensor[] = [];
  const walk = (v: unknown): Skeleton => {
    if (v instanceof tf.Tensor) return { [AT]: list.push(v) - 1 };
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e)]));
    return v;
  };
  return { list, skeleton: walk(tree) };
}

/** The structure again, with the tensors of `list` (save()'s copies) in their places. */
function unflatTape<T>(skeleton: Skeleton, list: readonly tf.Tensor[]): T {
  const walk = (s: unknown): unknown => {
    if (s !== null && typeof s === 'object' && AT in s) return list[(s as { [AT]: number })[AT]];
    if (Array.isArray(s)) return s.map(walk);
    if (s !== null && typeof s === 'object') return Object.fromEntries(Object.entries(s).map(([k, e]) => [k, walk(e)]));
    return s;
  };
  return walk(skeleton) as T;
}

/** Keras's three parameters as the loops take them. */
function weightsOf(params: Params) {
  return { W: params.kernel as tf.Tensor2D, U: params.recurrentKernel as tf.Tensor2D, b: (params.bias ?? null) as tf.Tensor1D | null };
}

/** The loop's gradients in the driver's form, ∂x and ∂states_0 only where wanted (the rest freed). */
function gradients(
  g: { kernel: tf.Tensor; recurrentKernel: tf.Tensor; bias: tf.Tensor | null; input: tf.Tensor3D },
  initial: tf.Tensor2D[],
  wants: SequenceWants,
): SequenceGradients {
  const out: SequenceGradients = { params: { kernel: g.kernel, recurrentKernel: g.recurrentKernel, ...(g.bias === null ? {} : { bias: g.bias }) } };
  if (wants.input) out.x = g.input;
  if (wants.initial) out.initial = initial;
  return out;
}

/** One engine over a forward that returns (sequence, last, tape) and a backward from that tape. */
function engine<Tape>(
  forward: (x: tf.Tensor3D, params: Params, initial: tf.Tensor2D[], maskTB: tf.Tensor2D | null) => { sequence: tf.Tensor3D; last: tf.Tensor2D[]; tape: Tape },
  backward: (tape: Tape, dSequence: tf.Tensor3D | null, dLast: Array<tf.Tensor2D | null>, wants: SequenceWants) => SequenceGradients,
): SequenceEngine {
  let skeleton: Skeleton = null;
  return {
    name: ENGINE_NAME,
    forward(x, params, initial, mask) {
      const maskTB = mask === null ? null : (tf.transpose(mask) as tf.Tensor2D); // [T, B], as the kernels read it
      const r = forward(x, params, initial, maskTB);
      const flat = flatTape(r.tape);
      skeleton = flat.skeleton;
      return { sequence: r.sequence, last: r.last, saved: flat.list };
    },
    backward(saved, upstream, wants) {
      if (skeleton === null) throw new Error(`expected the ${ENGINE_NAME} forward before its backward, got none`);
      const tape = unflatTape<Tape>(skeleton, saved);
      return tf.tidy(() => backward(tape, upstream.dSequence, upstream.dLast, wants) as unknown as tf.TensorContainerObject) as unknown as SequenceGradients;
    },
  };
}

/** An LSTM call on the fused kernels (mask included), or null. */
export function lstmEngine(options: { activation: string; recurrentActivation: string }, context: SequenceContext): SequenceEngine | null {
  const o = fusedPair(options.activation, options.recurrentActivation);
  if (o === null || !fusable(context)) return null;
  return engine(
    (x, params, [h0, c0], maskTB) => {
      const w = weightsOf(params);
      const { sequence, tape } = fusedLSTMForward(x, w, h0, c0, o, maskTB);
      const T = x.shape[1];
      return { sequence, last: [tape.h[T], tape.c[T]], tape: { tape, w } };
    },
    ({ tape, w }, dSequence, [dh, dc], wants) => {
      const g = fusedLSTMBackward(tape, w, dSequence, dh, dc, o);
      return gradients(g, [g.initialState, g.initialCell], wants);
    },
  );
}

/** A GRU call (either form) on the fused kernels, or null. */
export function gruEngine(options: { activation: string; recurrentActivation: string; resetAfter: boolean }, context: SequenceContext): SequenceEngine | null {
  const pair = fusedPair(options.activation, options.recurrentActivation);
  if (pair === null || !fusable(context)) return null;
  const o: GRUOptions = { ...pair, resetAfter: options.resetAfter };
  return engine(
    (x, params, [h0], maskTB) => {
      const w = { ...weightsOf(params), b: params.bias ?? null };
      const { sequence, tape } = fusedGRUForward(x, w, h0, o, maskTB); // the tape keeps the mask
      return { sequence, last: [tape.h[x.shape[1]]], tape: { tape, w } };
    },
    ({ tape, w }, dSequence, [dh], wants) => {
      const g = fusedGRUBackward(tape, w, dSequence, dh, o);
      return gradients(g, [g.initialState], wants);
    },
  );
}

/** A SimpleRNN call on the fused kernels, or null. */
export function simpleRNNEngine(activation: string, context: SequenceContext): SequenceEngine | null {
  if (!hasFusedActivation(activation) || !fusable(context)) return null;
  const o: SimpleRNNOptions = { activation };
  return engine(
    (x, params, [h0], maskTB) => {
      const w = weightsOf(params);
      const { sequence, states } = fusedSimpleRNNForward(x, w, h0, o, maskTB);
      return { sequence, last: [states[x.shape[1]]], tape: { x, states, w, maskTB } };
    },
    ({ x, states, w, maskTB }, dSequence, [dh], wants) => {
      const g = fusedSimpleRNNBackward(x, states, w, dSequence, dh, o, maskTB);
      return gradients(g, [g.initialState], wants);
    },
  );
}
