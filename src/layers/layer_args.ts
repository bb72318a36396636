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
  /** Fraction of the input's features dropped in training, one mask per batch fixed over time. Default 0. */
  dropout?: number;
  /** Fraction of h_{t-1}'s units dropped where it enters the recurrent product, in training, one mask per batch. Default 0. */
  recurrentDropout?: number;
  /** (ones, rate) → mask: replaces tf.dropout when drawing the masks, called as tf.layers calls it. */
  dropoutFunc?: ((ones: tf.Tensor, rate: number) => tf.Tensor) | null;
  /** Seed of the dropout masks (Keras 3's key); unseeded draws without it. */
  seed?: number | null;
  /** Penalties (tf.regularizers.l1l2(…), or a name): added to the model's losses, so fit() minimises them. */
  kernelRegularizer?: RegularizerArg;
  recurrentRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
  /** A penalty on the layer's outputs (every output tensor, summed, as Keras 3), in training. */
  activityRegularizer?: RegularizerArg;
  /** Projections (tf.constraints.maxNorm(…), or a name) applied after every update of the weight, and by setWeights. */
  kernelConstraint?: ConstraintArg;
  recurrentConstraint?: ConstraintArg;
  biasConstraint?: ConstraintArg;
  /** With returnSequences and a mask: zeros at masked steps (Keras ≥ 2.4's behaviour) rather than the carried output. Default false. */
  zeroOutputForMask?: boolean;
  /** Keras 2's way to give the input shape: inputShape [inputLength, inputDim]. */
  inputDim?: number;
  /** With inputDim: the number of time steps (absent: any). */
  inputLength?: number;
}

/** A regularizer as tf.layers takes it. */
export type RegularizerArg = StockArgs['kernelRegularizer'] | tf.serialization.ConfigDict | null;
/** A constraint as tf.layers takes it. */
export type ConstraintArg = StockArgs['kernelConstraint'] | tf.serialization.ConfigDict | null;

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

/**
 * tf.layers options that our layers do not implement, and the one value of each that means "off".
 * unroll changes nothing in the math (we always run our own loop): unroll true is accepted too.
 */
const OFF_VALUES: Record<string, unknown> = {
  timeMajor: false,
  numConstants: null,
};

/**
 * Keys a tf.layers.Layer takes, or that serialization adds, which we pass through. Policy for keys
 * from newer Keras: a key is accepted only where we know what it means (seed: the dropout masks'
 * seed); any other unknown key is refused by name, never ignored.
 */
const LAYER_KEYS = ['name', 'trainable', 'dtype', 'inputShape', 'batchInputShape', 'batchSize', 'weights', 'inputDType', 'inputDim', 'inputLength'];
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
  'unroll',
  'dropout',
  'recurrentDropout',
  'dropoutFunc',
  'seed',
  'kernelRegularizer',
  'recurrentRegularizer',
  'biasRegularizer',
  'activityRegularizer',
  'kernelConstraint',
  'recurrentConstraint',
  'biasConstraint',
  'zeroOutputForMask',
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
  for (const key of ['dropout', 'recurrentDropout']) {
    const v = a[key];
    if (v != null && (typeof v !== 'number' || !(v >= 0 && v < 1))) throw new Error(`expected ${key} to be a number in [0, 1), got ${describe(v)}`);
  }
  if (a.dropoutFunc != null && typeof a.dropoutFunc !== 'function') throw new Error(`expected dropoutFunc to be a function (ones, rate) => mask, got ${describe(a.dropoutFunc)}`);
  if (a.seed != null && (typeof a.seed !== 'number' || !Number.isInteger(a.seed))) throw new Error(`expected seed to be an integer, got ${describe(a.seed)}`);
  if (a.inputDim != null) checkPositiveInt('inputDim', a.inputDim);
  if (a.inputLength != null) checkPositiveInt('inputLength', a.inputLength);
  for (const key of ['useBias', 'returnSequences', 'returnState', 'goBackwards', 'stateful', 'resetAfter', 'unitForgetBias', 'trainable', 'unroll', 'zeroOutputForMask']) {
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
 * args as the layer takes them: a name (the given one, else `<prefix>_<className><n>`, unique in the
 * process as tf.layers' own 'lstm_LSTM1' is, so it never clashes with a loaded Keras model's
 * 'lstm' nor with a stock layer's), and Keras 2's inputDim/inputLength as inputShape.
 */
export function withDefaultName<A extends { name?: string; inputDim?: number; inputLength?: number; inputShape?: Array<number | null>; batchInputShape?: Array<number | null> }>(
  args: A,
  prefix: string,
  className: string,
): A {
  let out = args;
  if (args.inputDim != null && args.inputShape == null && args.batchInputShape == null) out = { ...out, inputShape: [args.inputLength ?? null, args.inputDim] };
  if (out.name != null) return out;
  const n = (nameCounts.get(className) ?? 0) + 1;
  nameCounts.set(className, n);
  return { ...out, name: `${prefix}_${className}${n}` };
}
