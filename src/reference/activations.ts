/**
 * The activation table of src/cells/activations.ts in float64 plain TypeScript, for the references:
 * act(a) and dL/da = J(a)ᵀ dy over one row (softmax and logSoftmax normalise over the row, every
 * other activation is elementwise). The formulas are the table's (see that file); here they run in
 * double precision, with erf computed to ~1e-15 (JavaScript has no Math.erf; tfjs's float32 erf is
 * the Abramowitz–Stegun 7.1.26 fit, ~1.5e-7).
 */
import { ACTIVATION_NAMES, type ActivationName, checkActivationName } from '../cells/activations';

export { ACTIVATION_NAMES, type ActivationName };

const SELU_SCALE = 1.0507009873554804934193349852946; // tfjs-core's selu_util constants
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;
const GELU_C = 0.044715;
const GELU_K = Math.sqrt(2 / Math.PI);

const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));
const softplus = (a: number): number => (a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)));

/**
 * erf(x) = 2/√π · e^−x² · Σ_n 2ⁿ x^(2n+1) / (1·3·…·(2n+1))  (Abramowitz–Stegun 7.1.6): every term is
 * positive, so nothing cancels; past |x| = 6, erf is ±1 to double precision.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

const phi = (a: number): number => Math.exp(-0.5 * a * a) / Math.sqrt(2 * Math.PI); // standard normal density
const Phi = (a: number): number => 0.5 * (1 + erf(a / Math.SQRT2)); // its distribution function

/** Elementwise rows: act(a) and act'(a) (given a and y = act(a)). */
const ELEMENTWISE: Record<Exclude<ActivationName, 'softmax' | 'logSoftmax'>, [(a: number) => number, (a: number, y: number) => number]> = {
  tanh: [Math.tanh, (_a, y) => 1 - y * y],
  sigmoid: [sigmoid, (_a, y) => y * (1 - y)],
  // The clip's ends count as inside, as tfjs's gradient of clipByValue has it.
  hardSigmoid: [(a) => Math.min(1, Math.max(0, 0.2 * a + 0.5)), (a) => (Math.abs(a) <= 2.5 ? 0.2 : 0)],
  hardSigmoidKeras3: [(a) => Math.min(6, Math.max(0, a + 3)) / 6, (a) => (a > -3 && a <= 3 ? 1 / 6 : 0)],
  relu: [(a) => (a > 0 ? a : 0), (a) => (a > 0 ? 1 : 0)],
  relu6: [(a) => Math.min(6, Math.max(0, a)), (a) => (a > 0 && a < 6 ? 1 : 0)],
  linear: [(a) => a, () => 1],
  elu: [(a) => (a > 0 ? a : Math.expm1(a)), (a) => (a > 0 ? 1 : Math.exp(a))],
  selu: [(a) => (a > 0 ? SELU_SCALE * a : SELU_SCALE_ALPHA * Math.expm1(a)), (a) => (a > 0 ? SELU_SCALE : SELU_SCALE_ALPHA * Math.exp(a))],
  softplus: [softplus, (a) => sigmoid(a)],
  softsign: [(a) => a / (1 + Math.abs(a)), (a) => 1 / (1 + Math.abs(a)) ** 2],
  swish: [(a) => a * sigmoid(a), (a) => sigmoid(a) * (1 + a * (1 - sigmoid(a)))],
  mish: [
    (a) => a * Math.tanh(softplus(a)),
    (a) => {
      const t = Math.tanh(softplus(a));
      return t + a * (1 - t * t) * sigmoid(a);
    },
  ],
  gelu: [(a) => a * Phi(a), (a) => Phi(a) + a * phi(a)],
  gelu_new: [
    (a) => 0.5 * a * (1 + Math.tanh(GELU_K * (a + GELU_C * a ** 3))),
    (a) => {
      const t = Math.tanh(GELU_K * (a + GELU_C * a ** 3));
      return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * a * a);
    },
  ],
};

/** act(a) of one scalar, for the elementwise activations (throws for softmax and logSoftmax: use activateRow64). */
export function activate64(name: ActivationName, a: number): number {
  return elementwise(name)[0](a);
}

/** act'(a) of one scalar given a and y = act(a), for the elementwise activations. */
export function activationDerivative64(name: ActivationName, a: number, y: number): number {
  return elementwise(name)[1](a, y);
}

function elementwise(name: ActivationName): [(a: number) => number, (a: number, y: number) => number] {
  const checked = checkActivationName('activation', name);
  if (checked === 'softmax' || checked === 'logSoftmax') throw new Error(`activation '${checked}' is not elementwise: use activateRow64 / activationBackwardRow64`);
  return ELEMENTWISE[checked];
}

/** log Σ e^a over the row, shifted by its max so nothing overflows. */
function logSumExp(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let j = 0; j < a.length; j++) m = Math.max(m, a[j]);
  let s = 0;
  for (let j = 0; j < a.length; j++) s += Math.exp(a[j] - m);
  return m + Math.log(s);
}

/** act(a) of one row a [H] (softmax and logSoftmax over the row). */
export function activateRow64(name: ActivationName, a: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a.length); // [H]
  if (name === 'softmax' || name === 'logSoftmax') {
    const lse = logSumExp(a);
    for (let j = 0; j < a.length; j++) y[j] = name === 'softmax' ? Math.exp(a[j] - lse) : a[j] - lse;
    return y;
  }
  const f = elementwise(name)[0];
  for (let j = 0; j < a.length; j++) y[j] = f(a[j]);
  return y;
}

/** dL/da of one row given dy = dL/dy [H], the pre-activation a [H] and y = act(a) [H]. */
export function activationBackwardRow64(name: ActivationName, dy: ArrayLike<number>, a: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  const da = new Float64Array(dy.length); // [H]
  if (name === 'softmax' || name === 'logSoftmax') {
    let s = 0; // Σ dy ⊙ y (softmax), Σ dy (logSoftmax)
    for (let j = 0; j < dy.length; j++) s += name === 'softmax' ? dy[j] * y[j] : dy[j];
    for (let j = 0; j < dy.length; j++) da[j] = name === 'softmax' ? y[j] * (dy[j] - s) : dy[j] - Math.exp(y[j]) * s;
    return da;
  }
  const d = elementwise(name)[1];
  for (let j = 0; j < dy.length; j++) da[j] = dy[j] * d(a[j], y[j]);
  return da;
}
