/**
 * The activations the cells accept, declared once: every activation tfjs's recurrent layers accept
 * (tfjs-layers 4.22 activations.ts, by the names its `getActivation` resolves), plus Keras 3's
 * hard sigmoid. `activation` is the state's (SimpleRNN's act, an LSTM's candidate and cell output,
 * a GRU's candidate); `recurrentActivation` is a gate's. Both take any name of the table.
 *
 * Forward: the op sequence of tfjs-layers' own activation, so values match stock bit for bit.
 * Backward: a vector-Jacobian product dL/da = J(a)ᵀ dy, read off y = act(a) where that is exact and
 * is what tfjs's gradient reads (tanh, sigmoid, elu, ...), off the pre-activation a otherwise
 * (`needsPreActivation`: cells keep a per step only for these).
 *
 *   name               act(a)                                  dL/da                            reads
 *   tanh               tanh(a)                                 dy (1 − y²)                      y
 *   sigmoid            σ(a) = 1 / (1 + e^−a)                   dy y (1 − y)                     y
 *   hardSigmoid        clip(0.5 + 0.2·a, 0, 1)  (Keras 2/tfjs) dy 0.2 [0 < y < 1]               y
 *   hardSigmoidKeras3  relu6(a + 3) / 6         (Keras 3)      dy (1/6) [0 < y < 1]             y
 *   relu               max(a, 0)                               dy [y > 0]                       y
 *   relu6              min(6, max(a, 0))                       dy [0 < y < 6]                   y
 *   linear             a                                       dy                               -
 *   elu                a > 0 ? a : e^a − 1                     dy (y > 0 ? 1 : y + 1)           y
 *   selu               λ(a > 0 ? a : α(e^a − 1))               dy (a > 0 ? λ : λα e^a)          a
 *   softplus           log(1 + e^a)                            dy σ(a)                          a
 *   softsign           a / (1 + |a|)                           dy / (1 + |a|)²                  a
 *   swish              a σ(a)                                  dy σ (1 + a (1 − σ))             a
 *   mish               a tanh(softplus(a))                     dy (t + a (1 − t²) σ(a))         a
 *   gelu               a Φ(a), Φ(a) = (1 + erf(a/√2)) / 2      dy (Φ + a φ(a))                  a
 *   gelu_new           a (1 + tanh(u)) / 2, u = k(a + c a³)    dy ((1+t)/2 + a(1−t²)k(1+3ca²)/2) a
 *   softmax            e^a / Σ e^a  (last axis)                y ⊙ (dy − Σ dy ⊙ y)              y
 *   logSoftmax         a − log Σ e^a  (last axis)              dy − e^y Σ dy                    y
 *
 * (λ, λα tfjs's SELU constants; k = √(2/π), c = 0.044715; t the tanh of the row.) At kinks (relu at
 * 0, the hard sigmoids' ends) the from-y forms give 0 where tfjs's clip passes the gradient: a set
 * of measure zero. softmax and logSoftmax are not elementwise: they have no act'(a) factor.
 */
import * as tf from '@tensorflow/tfjs';

/** Every activation name the table knows, in tfjs-layers' order, then Keras 3's hard sigmoid. */
export const ACTIVATION_NAMES = [
  'elu', 'hardSigmoid', 'linear', 'relu', 'relu6', 'selu', 'sigmoid', 'softmax', 'softplus', 'softsign',
  'tanh', 'swish', 'mish', 'gelu', 'gelu_new', 'logSoftmax', 'hardSigmoidKeras3',
] as const;

/** A name of the table. */
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

/**
 * The names `activation` accepts (the state's): every name of the table. The single source of
 * accepted names: the cells and layers validate against it. Activations whose backward has no
 * per-step factor read off the output (softmax, logSoftmax, and those that need their input) run
 * their cell's backward by autodiff of the step (stepNeedsAutodiff).
 */
export type Activation = ActivationName;
/** The names `recurrentActivation` accepts (a gate's): every name of the table too. */
export type RecurrentActivation = ActivationName;

export const ACTIVATIONS: readonly Activation[] = ACTIVATION_NAMES;
export const RECURRENT_ACTIVATIONS: readonly RecurrentActivation[] = ACTIVATION_NAMES;

const SELU_SCALE = 1.0507009873554804934193349852946; // tfjs-core's selu_util constants
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;
const GELU_C = 0.044715;

/** One row of the table. */
interface ActivationSpec {
  /** act(a) by the ops tfjs-layers uses. */
  forward: (a: tf.Tensor) => tf.Tensor;
  /** act'(a) as an elementwise factor, from y (and a when `needsPreActivation`); null: the factor is 1. Absent: not elementwise. */
  factor?: (y: tf.Tensor, a: tf.Tensor) => tf.Tensor | null;
  /** dL/da for the activations that are not elementwise. */
  vjp?: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor;
  /** The backward reads the pre-activation a (y does not give the derivative exactly). */
  needsPreActivation: boolean;
}

const between = (y: tf.Tensor, lo: number, hi: number): tf.Tensor => tf.cast(tf.logicalAnd(tf.greater(y, lo), tf.less(y, hi)), 'float32');

const TABLE: Record<ActivationName, ActivationSpec> = {
  tanh: { forward: (a) => tf.tanh(a), factor: (y) => tf.sub(1, tf.square(y)), needsPreActivation: false },
  sigmoid: { forward: (a) => tf.sigmoid(a), factor: (y) => tf.mul(y, tf.sub(1, y)), needsPreActivation: false },
  hardSigmoid: {
    forward: (a) => tf.clipByValue(tf.add(0.5, tf.mul(0.2, a)), 0, 1), // tfjs-layers K.hardSigmoid
    factor: (y) => tf.mul(between(y, 0, 1), 0.2),
    needsPreActivation: false,
  },
  hardSigmoidKeras3: {
    forward: (a) => tf.div(tf.relu6(tf.add(a, 3)), 6), // Keras 3: relu6(x + 3) / 6
    factor: (y) => tf.div(between(y, 0, 1), 6),
    needsPreActivation: false,
  },
  relu: { forward: (a) => tf.relu(a), factor: (y) => tf.step(y), needsPreActivation: false },
  relu6: { forward: (a) => tf.minimum(6, tf.relu(a)), factor: (y) => between(y, 0, 6), needsPreActivation: false },
  linear: { forward: (a) => a, factor: () => null, needsPreActivation: false },
  elu: { forward: (a) => tf.elu(a), factor: (y) => tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)), needsPreActivation: false },
  selu: {
    forward: (a) => tf.selu(a),
    factor: (_y, a) => tf.where(tf.greater(a, 0), tf.fill(a.shape, SELU_SCALE), tf.mul(SELU_SCALE_ALPHA, tf.exp(a))),
    needsPreActivation: true,
  },
  softplus: { forward: (a) => tf.softplus(a), factor: (_y, a) => tf.sigmoid(a), needsPreActivation: true },
  softsign: {
    forward: (a) => tf.div(a, tf.add(tf.abs(a), 1)), // tfjs-layers K.softsign
    factor: (_y, a) => tf.reciprocal(tf.square(tf.add(tf.abs(a), 1))),
    needsPreActivation: true,
  },
  swish: {
    forward: (a) => tf.mul(tf.sigmoid(a), a), // tfjs-layers' Swish with alpha 1 (a·1 is a)
    factor: (_y, a) => {
      const s = tf.sigmoid(a);
      return tf.mul(s, tf.add(1, tf.mul(a, tf.sub(1, s)))); // σ (1 + a (1 − σ))
    },
    needsPreActivation: true,
  },
  mish: {
    forward: (a) => tf.mul(a, tf.tanh(tf.softplus(a))),
    factor: (_y, a) => {
      const t = tf.tanh(tf.softplus(a));
      return tf.add(t, tf.mul(tf.mul(a, tf.sub(1, tf.square(t))), tf.sigmoid(a))); // t + a (1 − t²) σ(a)
    },
    needsPreActivation: true,
  },
  gelu: {
    forward: (a) => tf.mul(a, tf.mul(0.5, tf.add(1, tf.erf(tf.div(a, Math.sqrt(2)))))),
    factor: (_y, a) => {
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.div(a, Math.sqrt(2))))); // Φ(a)
      const pdf = tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(-0.5, tf.square(a)))); // φ(a)
      return tf.add(cdf, tf.mul(a, pdf));
    },
    needsPreActivation: true,
  },
  gelu_new: {
    forward: (a) =>
      tf.mul(0.5, tf.mul(a, tf.add(1, tf.tanh(tf.mul(tf.sqrt(tf.div(2, Math.PI)), tf.add(a, tf.mul(GELU_C, tf.pow(a, 3)))))))),
    factor: (_y, a) => {
      const k = Math.sqrt(2 / Math.PI);
      const t = tf.tanh(tf.mul(k, tf.add(a, tf.mul(GELU_C, tf.pow(a, 3))))); // tanh(u)
      const du = tf.mul(k, tf.add(1, tf.mul(3 * GELU_C, tf.square(a)))); // u'(a)
      return tf.add(tf.mul(0.5, tf.add(1, t)), tf.mul(tf.mul(0.5, a), tf.mul(tf.sub(1, tf.square(t)), du)));
    },
    needsPreActivation: true,
  },
  softmax: {
    forward: (a) => tf.softmax(a, -1),
    vjp: (dy, y) => {
      const dyy = tf.mul(dy, y);
      return tf.sub(dyy, tf.mul(tf.sum(dyy, -1, true), y)); // tfjs's Softmax gradient, same ops
    },
    needsPreActivation: false,
  },
  logSoftmax: {
    forward: (a) => tf.logSoftmax(a, -1),
    vjp: (dy, y) => tf.sub(dy, tf.mul(tf.sum(dy, -1, true), tf.exp(y))), // tfjs's LogSoftmax gradient
    needsPreActivation: false,
  },
};

/** Returns `name` if it is in the table, else throws naming the table. */
export function checkActivationName(field: string, name: unknown): ActivationName {
  if (typeof name === 'string' && (ACTIVATION_NAMES as readonly string[]).includes(name)) return name as ActivationName;
  throw new Error(`expected ${field} to be one of ${ACTIVATION_NAMES.join(', ')}, got ${typeof name === 'string' ? `'${name}'` : String(name)}`);
}

function spec(name: ActivationName): ActivationSpec {
  return TABLE[checkActivationName('activation', name)];
}

/** act(a) by tfjs ops (autodiff differentiates it); softmax and logSoftmax over the last axis. */
export function activate(name: ActivationName, a: tf.Tensor): tf.Tensor {
  const s = spec(name);
  return tf.tidy(() => s.forward(a));
}

/** Whether the backward of `name` reads the pre-activation a (the cells save a per step only then). */
export function needsPreActivation(name: ActivationName): boolean {
  return spec(name).needsPreActivation;
}

/** Whether act'(a) is an elementwise factor (every activation but softmax and logSoftmax). */
export function isElementwise(name: ActivationName): boolean {
  return spec(name).factor !== undefined;
}

function checkPre(name: ActivationName, a: tf.Tensor | null | undefined): tf.Tensor {
  if (a == null) throw new Error(`activation '${name}' reads the pre-activation in its backward: expected a, got ${String(a)}`);
  return a;
}

/**
 * act'(a) as an elementwise factor (dL/da = dy ⊙ factor), from y = act(a), and from a for the
 * activations that need it. null for linear (a factor of 1). Throws for softmax and logSoftmax
 * (use activationBackward).
 */
export function activationDerivative(name: ActivationName, y: tf.Tensor, a?: tf.Tensor | null): tf.Tensor | null {
  const s = spec(name);
  if (s.factor === undefined) throw new Error(`activation '${name}' is not elementwise: it has no act'(a) factor; use activationBackward(name, dy, y)`);
  const factor = s.factor;
  const pre = s.needsPreActivation ? checkPre(name, a) : y;
  return tf.tidy(() => factor(y, pre) ?? undefined) ?? null; // null (linear) is no TensorContainer
}

/** dL/da given dy = dL/dy, y = act(a), and a (read only when needsPreActivation(name)). Shapes: all the same, [..., H]. */
export function activationBackward(name: ActivationName, dy: tf.Tensor, y: tf.Tensor, a?: tf.Tensor | null): tf.Tensor {
  const s = spec(name);
  const vjp = s.vjp;
  if (vjp !== undefined) return tf.tidy(() => vjp(dy, y));
  return tf.tidy(() => timesOrSelf(dy, activationDerivative(name, y, a)));
}

/**
 * act'(a) read off the activation's OUTPUT y = act(a), for the activations whose derivative y gives
 * (needsPreActivation false, elementwise): tanh 1 − y², sigmoid y(1 − y), relu [y > 0], ... null for
 * linear. Throws for the others, naming what they need.
 */
export function derivativeFromOutput(name: ActivationName, y: tf.Tensor): tf.Tensor | null {
  if (needsPreActivation(name)) throw new Error(`activation '${name}' has no derivative from its output alone: use activationDerivative(name, y, a)`);
  return activationDerivative(name, y);
}

/**
 * Keras 3's hard sigmoid as a tfjs activation class, registered so that tf.layers resolves the name
 * (`tf.layers.lstmCell({ recurrentActivation: 'hardSigmoidKeras3' })`, an Activation layer, a
 * saved config): our layers hand their activations to a stock cell, which must accept it.
 */
class HardSigmoidKeras3 extends tf.serialization.Serializable {
  /** @nocollapse */
  static className = 'hardSigmoidKeras3';
  apply(x: tf.Tensor): tf.Tensor {
    return activate('hardSigmoidKeras3', x);
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
tf.serialization.registerClass(HardSigmoidKeras3);

/** a ⊙ b where b may be null (a factor of 1). */
export function timesOrSelf(a: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  return b === null ? a : tf.mul(a, b);
}

/** Whether a cell with these activations takes its backward from autodiff of its step (no factor read off y). */
export function stepNeedsAutodiff(...names: ActivationName[]): boolean {
  return names.some((n) => needsPreActivation(n) || !isElementwise(n));
}
