/**
 * What the float64 references (simple_rnn.ts, lstm.ts, gru.ts) share: argument checks, the
 * activations and their derivatives, row-vector × matrix kernels, the loss L = Σ upstream ⊙ output,
 * and central finite differences. Plain TypeScript on Float64Array, no tfjs.
 *
 * Activations (a the pre-activation, y = act(a)):
 *   tanh         tanh(a)                    act' = 1 − y²
 *   relu         max(a, 0)                  act' = [a > 0]   (0 at a = 0, as tf)
 *   linear       a                          act' = 1
 *   sigmoid      1 / (1 + e^−a)             act' = y (1 − y)
 *   hardSigmoid  clip(0.2·a + 0.5, 0, 1)    act' = 0.2 where 0 ≤ 0.2·a + 0.5 ≤ 1 (|a| ≤ 2.5), else 0:
 *                the ends count as inside, as tfjs's gradient of clipByValue has it.
 */

/** The state's activation (SimpleRNN's act, an LSTM's candidate and cell output, a GRU's candidate). */
export type ReferenceActivation = 'tanh' | 'relu' | 'linear';
/** A gate's activation. */
export type ReferenceRecurrentActivation = 'sigmoid' | 'hardSigmoid';

/** Sizes of the input x [B, T, D]. */
export interface ReferenceShape {
  B: number;
  T: number;
  D: number;
}

const ACTIVATIONS: readonly string[] = ['tanh', 'relu', 'linear'];
const RECURRENT_ACTIVATIONS: readonly string[] = ['sigmoid', 'hardSigmoid'];

function quoteList(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  return quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/** Throws e.g. `expected kernel [D, 4H] = [3, 8] (24 values), got 9 values`. */
export function checkLength(name: string, array: ArrayLike<number>, shape: number[], dims: string): void {
  const n = shape.reduce((p, s) => p * s, 1);
  if (array.length !== n) {
    throw new Error(`expected ${name} ${dims} = [${shape.join(', ')}] (${n} values), got ${array.length} values`);
  }
}

/** Throws unless `array` has as many values as `other`. */
export function sameSize(name: string, array: ArrayLike<number>, otherName: string, other: ArrayLike<number>): void {
  if (array.length !== other.length) {
    throw new Error(`expected ${name} of ${other.length} values (the size of ${otherName}), got ${array.length} values`);
  }
}

/** Checks B, T, D, H are positive integers. */
export function checkSizes(shape: ReferenceShape, H: number): void {
  const { B, T, D } = shape;
  for (const [name, v] of [['B', B], ['T', T], ['D', D], ['H', H]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`expected ${name} a positive integer, got ${v}`);
  }
}

/** The activations of a gated cell (LSTM, GRU). */
export interface GatedReferenceOptions {
  /** The candidate's activation (an LSTM's cell output's too); default 'tanh'. */
  activation?: ReferenceActivation;
  /** Gate activation; default 'sigmoid', Keras's (tf.layers.lstm and tf.layers.gru default to 'hardSigmoid'). */
  recurrentActivation?: ReferenceRecurrentActivation;
}

/** The options with their defaults filled in, checked. */
export function resolveGatedOptions(options: GatedReferenceOptions): Required<GatedReferenceOptions> {
  const resolved = { activation: options.activation ?? 'tanh', recurrentActivation: options.recurrentActivation ?? 'sigmoid' };
  checkActivations(resolved.activation, resolved.recurrentActivation);
  return resolved;
}

/** Checks activation names given at run time (the types do not hold for JavaScript callers). */
export function checkActivations(activation: string, recurrentActivation?: string): void {
  if (!ACTIVATIONS.includes(activation)) {
    throw new Error(`expected activation ${quoteList(ACTIVATIONS)}, got '${String(activation)}'`);
  }
  if (recurrentActivation !== undefined && !RECURRENT_ACTIVATIONS.includes(recurrentActivation)) {
    throw new Error(`expected recurrentActivation ${quoteList(RECURRENT_ACTIVATIONS)}, got '${String(recurrentActivation)}'`);
  }
}

/**
 * Checks the [name, value, dims, shape] upstream gradients' sizes and that at least one is given;
 * returns the values, absent ones as null, in the order given.
 */
export function checkUpstream(terms: Array<[string, Float64Array | null | undefined, string, number[]]>): Array<Float64Array | null> {
  const given = terms.map(([, value]) => value ?? null);
  if (given.every((v) => v === null)) {
    const list = terms.map(([name, , dims]) => `${name} ${dims}`);
    const alternatives = `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
    throw new Error(`expected ${alternatives} ${list.length === 2 ? '(or both), got neither' : '(or several), got none'}`);
  }
  terms.forEach(([name, , dims, shape], k) => {
    const v = given[k];
    if (v !== null) checkLength(name, v, shape, dims);
  });
  return given;
}

/** act(a) for any of the activations in the table above. */
export function activate(a: number, activation: ReferenceActivation | ReferenceRecurrentActivation): number {
  switch (activation) {
    case 'tanh':
      return Math.tanh(a);
    case 'relu':
      return a > 0 ? a : 0;
    case 'linear':
      return a;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-a));
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, 0.2 * a + 0.5));
  }
}

/** act'(a), given a and y = act(a). */
export function activationDerivative(a: number, y: number, activation: ReferenceActivation | ReferenceRecurrentActivation): number {
  switch (activation) {
    case 'tanh':
      return 1 - y * y;
    case 'relu':
      return a > 0 ? 1 : 0;
    case 'linear':
      return 1;
    case 'sigmoid':
      return y * (1 - y);
    case 'hardSigmoid': {
      const unclipped = 0.2 * a + 0.5;
      return unclipped >= 0 && unclipped <= 1 ? 0.2 : 0;
    }
  }
}

/** A row-major matrix [rows, cols]. */
export interface Matrix {
  values: Float64Array;
  rows: number;
  cols: number;
}

export function matrix(values: Float64Array, rows: number, cols: number): Matrix {
  return { values, rows, cols };
}

/** y[j] += Σ_i v[i] · M[i, from + j] for j < y.length: the row vector v [M.rows] times M's columns from... */
export function addVecMat(y: Float64Array, v: Float64Array, M: Matrix, from = 0): void {
  for (let i = 0; i < M.rows; i++) {
    const vi = v[i];
    const row = i * M.cols + from;
    for (let j = 0; j < y.length; j++) y[j] += vi * M.values[row + j];
  }
}

/** y[i] += Σ_j d[j] · M[i, from + j] for i < M.rows: d times the transpose of M's columns from... */
export function addVecMatT(y: Float64Array, d: Float64Array, M: Matrix, from = 0): void {
  for (let i = 0; i < M.rows; i++) {
    const row = i * M.cols + from;
    let s = 0;
    for (let j = 0; j < d.length; j++) s += d[j] * M.values[row + j];
    y[i] += s;
  }
}

/** M[i, from + j] += v[i] · d[j]: the outer product vᵀ d added into M's columns from... */
export function addOuter(M: Matrix, v: Float64Array, d: Float64Array, from = 0): void {
  for (let i = 0; i < M.rows; i++) {
    const vi = v[i];
    const row = i * M.cols + from;
    for (let j = 0; j < d.length; j++) M.values[row + j] += vi * d[j];
  }
}

/**
 * Backpropagates through y = v · M[:, from..] (+ bias): dM[:, from..] += vᵀ · dy, dBias += dy (when
 * given), dv += dy · M[:, from..]ᵀ. One call per matrix product of a step's forward pass.
 */
export function backpropVecMat(
  dy: Float64Array,
  v: Float64Array,
  M: Matrix,
  dM: Matrix,
  dv: Float64Array,
  dBias: Float64Array | null,
  from = 0,
): void {
  addOuter(dM, v, dy, from);
  if (dBias !== null) addInto(dBias, dy);
  addVecMatT(dv, dy, M, from);
}

/** y += v, element by element. */
export function addInto(y: Float64Array, v: ArrayLike<number>): void {
  for (let j = 0; j < y.length; j++) y[j] += v[j];
}

/** A copy of row `index` of `rows` (each of n values), or zeros when `rows` is null. */
export function rowOrZeros(rows: Float64Array | null, index: number, n: number): Float64Array {
  return rows === null ? new Float64Array(n) : rows.slice(index * n, (index + 1) * n);
}

/**
 * Σ upstream ⊙ output over [name, upstream, output] triples ('dLast' pairs with the output 'last'):
 * the scalar L whose gradients the references return. Absent upstreams count as zero.
 */
export function upstreamLoss(terms: Array<[string, Float64Array | null | undefined, Float64Array]>): number {
  let L = 0;
  for (const [name, upstream, output] of terms) {
    if (!upstream) continue;
    sameSize(name, upstream, name.charAt(1).toLowerCase() + name.slice(2), output);
    for (let i = 0; i < output.length; i++) L += upstream[i] * output[i];
  }
  return L;
}

/** The gradients every reference returns. */
export interface CellGradients {
  /** [D, G·H] */
  kernel: Float64Array;
  /** [H, G·H] */
  recurrentKernel: Float64Array;
  /** The bias's shape, or null when the weights have no bias. */
  bias: Float64Array | null;
  /** [B, T, D] */
  input: Float64Array;
  /** [B, H] */
  initialState: Float64Array;
}

/** Zeroed accumulators for a cell with G gates (kernel [D, G·H]) and a bias of biasSize values. */
export function zeroGradients(shape: ReferenceShape, H: number, G: number, biasSize: number) {
  const { B, T, D } = shape;
  return {
    dW: matrix(new Float64Array(D * G * H), D, G * H), // [D, GH]
    dU: matrix(new Float64Array(H * G * H), H, G * H), // [H, GH]
    dBias: new Float64Array(biasSize),
    dx: new Float64Array(B * T * D), // [B, T, D]
    dh0: new Float64Array(B * H), // [B, H]
  };
}

/** The accumulators as the gradients returned (bias null when the weights have none). */
export function gradientsOf(g: ReturnType<typeof zeroGradients>, hasBias: boolean): CellGradients {
  return { kernel: g.dW.values, recurrentKernel: g.dU.values, bias: hasBias ? g.dBias : null, input: g.dx, initialState: g.dh0 };
}

/**
 * Central finite differences: g_i = (f(p + eps e_i) - f(p - eps e_i)) / (2 eps) for every i.
 * `params` is not modified; f receives a perturbed copy.
 */
export function finiteDifferenceGrad(f: (params: Float64Array) => number, params: Float64Array, eps = 1e-6): Float64Array {
  const p = Float64Array.from(params);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const p0 = p[i];
    p[i] = p0 + eps;
    const fPlus = f(p);
    p[i] = p0 - eps;
    const fMinus = f(p);
    p[i] = p0;
    g[i] = (fPlus - fMinus) / (2 * eps);
  }
  return g;
}
