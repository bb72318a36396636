/**
 * The config our drop-in layers take: tf.layers' names, meanings and defaults, so that
 * `layers.lstm(args)` behaves like `tf.layers.lstm(args)` given the same args, and a model.json
 * (tfjs's own or tensorflowjs_converter's from Keras, which spells out every value) deserializes
 * into the same layer. What we do not implement is refused here, by name, never ignored.
 *
 * Defaults are tf.layers' (not Keras's): recurrentActivation 'hardSigmoid', kernelInitializer
 * 'glorotNormal', GRU resetAfter false, LSTM unitForgetBias off. Keras models carry their own
 * explicit values ('sigmoid', glorotUniform, reset_after true, unit_forget_bias true).
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, Activation, RECURRENT_ACTIVATIONS, RecurrentActivation } from '../cells/activations';
import { checkBoolean, checkOneOf, checkPositiveInt, describe } from '../cells/checks';

type StockArgs = NonNullable<Parameters<typeof tf.layers.lstm>[0]>;
/** An initializer as tf.layers takes it: an instance, its name ('glorotUniform'), or a serialized config. */
export type InitializerArg = StockArgs['kernelInitializer'] | tf.serialization.ConfigDict;

/** The config every one of our recurrent layers takes. */
export interface RecurrentLayerArgs {
  /** H: the size of the output and of each state. */
  units: number;
  /** The state's activation (an LSTM's candidate and cell output, a GRU's candidate): 'tanh' (default), 'relu' or 'linear'. */
  activation?: Activation;
  /** Whether the layer has a bias. Default true. */
  useBias?: boolean;
  /** Of the kernel [D, G·H]. Default 'glorotNormal' (tf.layers'; Keras's is glorotUniform). */
  kernelInitializer?: InitializerArg;
  /** Of the recurrent kernel [H, G·H]. Default 'orthogonal'. */
  recurrentInitializer?: InitializerArg;
  /** Of the bias. Default 'zeros'. */
  biasInitializer?: InitializerArg;
  /** Output the whole sequence [B, T, H] rather than the last output [B, H]. Default false. */
  returnSequences?: boolean;
  /** Also output the final states (h_T, and c_T for an LSTM), [B, H] each. Default false. */
  returnState?: boolean;
  /** Run over the sequence from its end; the output sequence is then in that (reversed) order, as in tf.layers. Default false. */
  goBackwards?: boolean;
  /** Carry the final states of one batch into the next (sample i to sample i); needs a fixed batch size (batchInputShape). Default false. */
  stateful?: boolean;
  /** The input shape without the batch: [T, D], T may be null. */
  inputShape?: Array<number | null>;
  /** The input shape with the batch, [B, T, D] (what a stateful layer needs). */
  batchInputShape?: Array<number | null>;
  /** The batch size B, with inputShape. */
  batchSize?: number;
  /** The layer's name (its weights are named `<name>/kernel`, …). */
  name?: string;
  /** Whether fit() and optimizers update its weights. Default true. */
  trainable?: boolean;
  /** Only 'float32'. */
  dtype?: 'float32';
  /** Initial values of the weights, in getWeights() order. */
  weights?: tf.Tensor[];
  /**
   * 1 or 2: Keras's choice of how a step groups its matrix products. The math is the same either
   * way (and we always run our own grouping), so it changes nothing; it is accepted because every
   * Keras LSTM and GRU spells it out.
   */
  implementation?: number | null;
}

export interface LSTMLayerArgs extends RecurrentLayerArgs {
  /** Of the gates i, f, o: 'hardSigmoid' (tf.layers' default) or 'sigmoid' (Keras's). */
  recurrentActivation?: RecurrentActivation;
  /** Initialise the forget-gate bias to 1. Default off, as in tf.layers (Keras's default is on). */
  unitForgetBias?: boolean;
}

export interface GRULayerArgs extends RecurrentLayerArgs {
  /** Of the gates z, r: 'hardSigmoid' (tf.layers' default) or 'sigmoid' (Keras's). */
  recurrentActivation?: RecurrentActivation;
  /**
   * Apply the reset gate after the recurrent matMul, with a separate recurrent bias (bias [2, 3H]):
   * Keras ≥ 2.3's default, PyTorch's and cuDNN's form, which tf.layers.gru cannot run. Default false,
   * as in tf.layers.
   */
  resetAfter?: boolean;
}

export type SimpleRNNLayerArgs = RecurrentLayerArgs;

/** tf.layers options that our layers do not implement, and the one value of each that means "off". */
const OFF_VALUES: Record<string, unknown> = {
  dropout: 0,
  recurrentDropout: 0,
  dropoutFunc: null,
  kernelRegularizer: null,
  recurrentRegularizer: null,
  biasRegularizer: null,
  activityRegularizer: null,
  kernelConstraint: null,
  recurrentConstraint: null,
  biasConstraint: null,
  unroll: false,
  timeMajor: false,
  zeroOutputForMask: false,
  numConstants: null,
};

/** Keys a tf.layers.Layer takes, or that serialization adds, which we pass through. */
const LAYER_KEYS = ['name', 'trainable', 'dtype', 'inputShape', 'batchInputShape', 'batchSize', 'weights', 'inputDType'];
const COMMON_KEYS = [
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'implementation',
];

/** What a layer adds to the common config: its extra keys. */
export interface LayerKind {
  /** 'SimpleRNN', 'LSTM' or 'GRU', for messages. */
  name: string;
  extraKeys: readonly string[];
  /** Whether recurrentActivation is an option (gated cells). */
  gated: boolean;
}

/** Validated activations: what the cell math needs. */
export interface CheckedActivations {
  activation: Activation;
  recurrentActivation: RecurrentActivation;
}

/**
 * Refuses what we do not implement (naming the option, the value given and what we accept) and
 * unknown keys; returns the validated activations. undefined and null mean the default, as in
 * tf.layers.
 */
export function checkLayerArgs(kind: LayerKind, args: unknown): CheckedActivations {
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`expected ${kind.name} layer args { units, ... }, got ${describe(args)}`);
  }
  const a = args as Record<string, unknown>;
  const known = new Set([...LAYER_KEYS, ...COMMON_KEYS, ...kind.extraKeys, ...Object.keys(OFF_VALUES)]);
  const unknown = Object.keys(a).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new Error(`expected ${kind.name} options among ${[...LAYER_KEYS, ...COMMON_KEYS, ...kind.extraKeys].join(', ')}, got unknown option(s) ${unknown.join(', ')}`);
  }
  for (const [key, off] of Object.entries(OFF_VALUES)) {
    const v = a[key];
    if (v == null || v === off) continue; // tf.layers reads undefined and null as "off" too
    throw new Error(`expected ${key} to be ${off == null ? 'absent or null' : String(off)} (${kind.name} layers of tfjs-rnn do not implement ${key}), got ${describe(v)}`);
  }
  checkPositiveInt('units', a.units);
  for (const key of ['useBias', 'returnSequences', 'returnState', 'goBackwards', 'stateful', 'resetAfter', 'unitForgetBias', 'trainable']) {
    if (a[key] !== null) checkBoolean(key, a[key], false);
  }
  if (a.dtype != null && a.dtype !== 'float32') throw new Error(`expected dtype 'float32', got ${describe(a.dtype)}`);
  if (a.implementation != null && a.implementation !== 1 && a.implementation !== 2) {
    throw new Error(`expected implementation 1 or 2, got ${describe(a.implementation)}`);
  }
  const activation = checkOneOf('activation', a.activation ?? 'tanh', ACTIVATIONS);
  const recurrentActivation = kind.gated ? checkOneOf('recurrentActivation', a.recurrentActivation ?? 'hardSigmoid', RECURRENT_ACTIVATIONS) : 'sigmoid';
  return { activation, recurrentActivation };
}

const nameCounts = new Map<string, number>();

/**
 * args with a name: the given one, else Keras's style `prefix`, `prefix_1`, … (tf.layers would
 * derive one from our class name, 'tfjs_rnn_lstm_TfjsRnnLSTM1').
 */
export function withDefaultName<A extends { name?: string }>(args: A, prefix: string): A {
  if (args.name != null) return args;
  const n = nameCounts.get(prefix) ?? 0;
  nameCounts.set(prefix, n + 1);
  return { ...args, name: n === 0 ? prefix : `${prefix}_${n}` };
}
