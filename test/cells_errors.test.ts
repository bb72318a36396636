/**
 * Misuse of the cell API, for every cell (SimpleRNN, LSTM, GRU in both forms): each case is an
 * Error that names what was expected and what was given, leaks no tensor, and leaves the cell as it
 * was: its weights unchanged and usable, or, once disposed, still disposed. Then the functional
 * SimpleRNN entry points and the layout converters. What is deliberately not checked (NaN in
 * inputs, among others) and why: src/cells/checks.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { GRU, LSTM, SimpleRNN } from '../src';
import { simpleRNNLast, simpleRNNSequence } from '../src/cells/simple_rnn';
import { gruKerasToPytorch, gruPytorchToKeras, lstmKerasToPytorch, lstmPytorchToKeras } from '../src';
import {
  simpleRNNKerasToPytorch as kerasToPytorch,
  simpleRNNKerasToTextbook as kerasToTextbook,
  simpleRNNPytorchToKeras as pytorchToKeras,
  simpleRNNTextbookToKeras as textbookToKeras,
} from '../src';
import type { RNNTape } from '../src';
import { AnyCell, CELL_CASES, CellCase, DEFAULTS } from './cell_cases';
import { backendsUnderTest, expectNoLeak, seededArray, seededTensor, useBackend } from './helpers';

const [B, T, D, H] = [2, 5, 4, 3];

/** The cell's methods as a JavaScript caller reaches them: any arguments, unchecked by TypeScript. */
interface Loose {
  forward(...args: unknown[]): { sequence: tf.Tensor; last: tf.Tensor; lastCell?: tf.Tensor; tape: RNNTape };
  backward(...args: unknown[]): unknown;
  weightGradients(...args: unknown[]): unknown;
  apply(...args: unknown[]): unknown;
  setWeights(...args: unknown[]): void;
  getWeights(): tf.Tensor[];
}
const loose = (cell: AnyCell): Loose => cell as unknown as Loose;

/** What a case works on: a cell, an input, a forward pass of it, and the tensors the case makes. */
class Context {
  readonly cell: AnyCell;
  readonly x: tf.Tensor; // [B, T, D]
  readonly tape: RNNTape;
  private readonly made: tf.Tensor[] = [];
  private readonly cells: AnyCell[] = [];
  private readonly tapes: RNNTape[] = [];
  private weightsBefore: tf.TypedArray[] = [];

  constructor(readonly kind: CellCase) {
    this.cell = this.newCell(kind);
    this.x = this.keep(seededTensor([B, T, D], 2));
    this.tape = this.forwardOf(this.cell);
  }

  /** Reads the weights, for expectUnchanged (asynchronously: webgpu has no synchronous read). */
  async snapshot(): Promise<this> {
    this.weightsBefore = await Promise.all(this.cell.trainableWeights.map((w) => w.data()));
    return this;
  }

  get name(): string {
    return this.cell.name;
  }

  /** The upstream gradients' names (dSequence, dLast(, dLastCell)) as the messages write them. */
  get upstreamText(): string {
    return `{ dSequence?, dLast?${this.kind.states === 2 ? ', dLastCell?' : ''} }`;
  }

  /** The cell made last (by newCell, after the context's own). */
  get other(): AnyCell {
    return this.cells[this.cells.length - 1];
  }

  newCell(kind: CellCase, inputDim = D): AnyCell {
    const cell = kind.make(inputDim, H, 1, DEFAULTS);
    this.cells.push(cell);
    return cell;
  }

  /** A forward of `cell` over x (or a [B, T, ·] input of its size); its outputs are disposed, its tape kept. */
  forwardOf(cell: AnyCell): RNNTape {
    const x = cell.inputDim === D ? this.x : this.keep(seededTensor([B, T, cell.inputDim], 3));
    const out = loose(cell).forward(x);
    tf.dispose([out.sequence, out.last, ...(out.lastCell ? [out.lastCell] : [])]);
    this.tapes.push(out.tape);
    return out.tape;
  }

  keep<R extends tf.Tensor>(t: R): R {
    this.made.push(t);
    return t;
  }

  /** A seeded tensor the context disposes. */
  t(shape: number[], seed = 4, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
    return this.keep(dtype === 'float32' ? seededTensor(shape, seed) : tf.zeros(shape, 'int32'));
  }

  /** Weights of the right shapes for setWeights, [kernel, recurrentKernel, bias]. */
  weights(): tf.Tensor[] {
    const G = this.kind.gates;
    return [this.t([D, G * H], 5), this.t([H, G * H], 6), this.t(this.kind.biasShape(H), 7)];
  }

  /** The cell as it was, unless the case disposed it (then it must stay disposed: no revival). */
  async expectUnchanged(): Promise<void> {
    const { cell } = this;
    if (cell.isDisposed) {
      expect(cell.trainableWeights.map((w) => w.isDisposed)).toEqual(cell.trainableWeights.map(() => true));
      return;
    }
    if (cell.trainableWeights.some((w) => w.isDisposed)) return; // the case disposed a weight
    for (const [i, w] of cell.trainableWeights.entries()) expect(await w.data()).toEqual(this.weightsBefore[i]);
    const out = loose(cell).forward(this.x);
    expect(out.sequence.shape).toEqual([B, T, H]);
    tf.dispose([out.sequence, out.last, ...(out.lastCell ? [out.lastCell] : [])]);
    out.tape.dispose();
  }

  dispose(): void {
    tf.dispose(this.made);
    this.tapes.forEach((tape) => tape.dispose());
    this.cells.forEach((cell) => cell.dispose());
  }
}

function disposedTensor(shape: number[]): tf.Tensor {
  const t = tf.zeros(shape);
  t.dispose();
  return t;
}

/** The message of the Error `call` throws, or what it did instead. */
function messageOf(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    return e instanceof Error ? e.message : `a thrown non-Error: ${String(e)}`;
  }
  return 'no error';
}

/** A nested plain array of zeros of this shape: what a JavaScript caller might pass for a tensor. */
function plain(shape: readonly number[]): unknown[] {
  const [n, ...rest] = shape;
  return Array.from({ length: n }, () => (rest.length === 0 ? 0 : plain(rest)));
}

type Message = string | ((c: Context) => string);
type Case = [name: string, call: (c: Context) => unknown, message: Message];

const live = (c: Context): string => `expected a live cell, got ${c.name}, which was disposed`;
const lastNames = (c: Context): string => (c.kind.states === 2 ? 'dSequence, dLast and/or dLastCell' : 'dSequence and/or dLast');
/** The cell's apply with its initial states given as it takes them: h0, or [h0, c0]. */
const apply = (c: Context, x: unknown, options?: unknown, initial: unknown = null): unknown =>
  loose(c.cell).apply(x, c.kind.states === 2 && initial === null ? [] : initial, options);
const applyOptions = (c: Context): string =>
  c.kind.kind === 'simple' ? '{ returnSequences? }' : '{ returnSequences?, returnState?, inputGradient?, mask? }';
/** Another kind of cell than c's, with c's input size: its tapes have other shapes. */
const otherKind = (c: Context): CellCase => CELL_CASES.find((k) => k.gates !== c.kind.gates) as CellCase;

const CASES: Case[] = [
  // A disposed cell refuses every use, and setWeights does not revive it.
  ['forward on a disposed cell', (c) => (c.cell.dispose(), loose(c.cell).forward(c.x)), live],
  ['backward on a disposed cell', (c) => (c.cell.dispose(), loose(c.cell).backward(c.tape, { dLast: c.t([B, H]) })), live],
  ['weightGradients on a disposed cell', (c) => (c.cell.dispose(), loose(c.cell).weightGradients(c.tape, { dLast: c.t([B, H]) })), live],
  ['apply on a disposed cell', (c) => (c.cell.dispose(), apply(c, c.x)), live],
  ['setWeights on a disposed cell', (c) => (c.cell.dispose(), c.cell.setWeights(c.weights())), live],
  ['getWeights on a disposed cell', (c) => (c.cell.dispose(), c.cell.getWeights()), live],
  [
    'forward after its kernel variable was disposed',
    (c) => (c.cell.kernel.dispose(), loose(c.cell).forward(c.x)),
    (c) => `expected a live cell, got ${c.name}, whose variable ${c.name}/kernel was disposed (by tf.disposeVariables() or its own dispose())`,
  ],

  // Disposed tensors.
  ['forward on a disposed input', (c) => loose(c.cell).forward(disposedTensor([B, T, D])), 'expected input to be a live tf.Tensor, got a disposed one'],
  ['forward from a disposed h0', (c) => loose(c.cell).forward(c.x, disposedTensor([B, H])), 'expected initial state to be a live tf.Tensor, got a disposed one'],
  ['apply on a disposed input', (c) => apply(c, disposedTensor([B, T, D])), 'expected input to be a live tf.Tensor, got a disposed one'],
  [
    'backward from a disposed dLast',
    (c) => loose(c.cell).backward(c.tape, { dLast: disposedTensor([B, H]) }),
    'expected dLast (the shape of last) to be a live tf.Tensor, got a disposed one',
  ],
  [
    'weightGradients from a disposed dSequence',
    (c) => loose(c.cell).weightGradients(c.tape, { dSequence: disposedTensor([B, T, H]) }),
    'expected dSequence (the shape of sequence) to be a live tf.Tensor, got a disposed one',
  ],
  [
    'setWeights with disposed tensors',
    (c) => c.cell.setWeights(c.weights().map((w) => (w.dispose(), w))),
    'expected kernel to be a live tf.Tensor, got a disposed one',
  ],

  // Plain arrays where tensors belong.
  ['forward on a plain array', (c) => loose(c.cell).forward(plain([B, T, D])), `expected input to be a tf.Tensor [batch, time, ${D}], got a plain array (length ${B})`],
  ['forward from a plain-array h0', (c) => loose(c.cell).forward(c.x, [[0, 0, 0], [0, 0, 0]]), `expected initial state to be a tf.Tensor, got a plain array (length ${B})`],
  ['apply on a plain array', (c) => apply(c, plain([B, T, D])), `expected input [batch, time, ${D}], got a plain array (length ${B})`],
  [
    'backward from a plain-array dLast',
    (c) => loose(c.cell).backward(c.tape, { dLast: [[1, 1, 1], [1, 1, 1]] }),
    `expected dLast (the shape of last) to be a tf.Tensor, got a plain array (length ${B})`,
  ],
  [
    'backward from a plain-array dSequence',
    (c) => loose(c.cell).backward(c.tape, { dSequence: plain([B, T, H]) }),
    'expected dSequence (the shape of sequence) to be a tf.Tensor, got a plain array (length 2)',
  ],
  ['setWeights with plain arrays', (c) => loose(c.cell).setWeights(c.weights().map((w) => plain(w.shape))), `expected kernel to be a tf.Tensor, got a plain array (length ${D})`],

  // The upstream gradients and the options are objects with known keys and boolean flags.
  ['backward from a tensor rather than { dLast }', (c) => loose(c.cell).backward(c.tape, c.t([B, H])), (c) => `expected upstream gradients ${c.upstreamText}, got a tensor [${B}, ${H}]`],
  ['backward without upstream gradients', (c) => loose(c.cell).backward(c.tape), (c) => `expected upstream gradients ${c.upstreamText}, got undefined`],
  ['backward from a misspelt dLast', (c) => loose(c.cell).backward(c.tape, { dlast: c.t([B, H]) }), (c) => `expected upstream gradients ${c.upstreamText}, got an unknown key 'dlast'`],
  ['weightGradients from {}', (c) => loose(c.cell).weightGradients(c.tape, {}), (c) => `expected an upstream gradient ${lastNames(c)}, got neither`],
  [
    "backward with returnStateGradients: 'yes'",
    (c) => loose(c.cell).backward(c.tape, { dLast: c.t([B, H]) }, { returnStateGradients: 'yes' }),
    "expected returnStateGradients to be true or false, got 'yes'",
  ],
  ['apply with returnSequences: 1', (c) => apply(c, c.x, { returnSequences: 1 }), 'expected returnSequences to be true or false, got 1'],
  ['apply with a misspelt option', (c) => apply(c, c.x, { returnSequence: true }), (c) => `expected options ${applyOptions(c)}, got an unknown key 'returnSequence'`],

  // Tapes: only this cell's own, live.
  [
    'backward from the tape of another cell of the same shapes',
    (c) => loose(c.cell).backward(c.forwardOf(c.newCell(c.kind)), { dLast: c.t([B, H]) }),
    (c) => `expected a tape from ${c.name}.forward(), got one from ${c.other.name}.forward()`,
  ],
  [
    'backward from the tape of a cell of another input size',
    (c) => loose(c.cell).backward(c.forwardOf(c.newCell(c.kind, D + 1)), { dLast: c.t([B, H]) }),
    (c) => `expected a tape from ${c.name}.forward(), got one from ${c.other.name}.forward()`,
  ],
  [
    'weightGradients from the tape of another kind of cell',
    (c) => loose(c.cell).weightGradients(c.forwardOf(c.newCell(otherKind(c))), { dLast: c.t([B, H]) }),
    (c) => `expected a tape from ${c.name}.forward(), got one from ${c.other.name}.forward()`,
  ],
  ['backward from a plain object', (c) => loose(c.cell).backward({}, { dLast: c.t([B, H]) }), (c) => `expected a tape from ${c.name}.forward(), got an object (Object)`],
  [
    'backward from a disposed tape',
    (c) => (c.tape.dispose(), loose(c.cell).backward(c.tape, { dLast: c.t([B, H]) })),
    'expected a live tape, got a disposed one: run forward() again before backward()',
  ],

  // Weights: all checked before any is assigned.
  ['setWeights with an int32 kernel', (c) => c.cell.setWeights([c.t([D, c.kind.gates * H], 0, 'int32'), ...c.weights().slice(1)]), 'expected kernel of dtype float32, got int32'],
  ['setWeights with one tensor', (c) => loose(c.cell).setWeights(c.t([D, c.kind.gates * H])), (c) => `expected 3 weights [kernel, recurrentKernel, bias], got a tensor [${D}, ${c.kind.gates * H}]`],
  ['forward from an int32 h0', (c) => loose(c.cell).forward(c.x, c.t([B, H], 0, 'int32')), 'expected initial state of dtype float32, got int32'],
];

/** NaN and Infinity in weights: refused where a synchronous read is possible (not webgpu). */
const FINITE_CASES: Case[] = [
  [
    'setWeights with a NaN in the bias',
    (c) => {
      const [kernel, recurrentKernel, bias] = c.weights();
      const values = seededArray(bias.size, 7).map((v, i) => (i === 1 ? NaN : v));
      c.cell.setWeights([kernel, recurrentKernel, c.keep(tf.tensor(values, bias.shape))]);
    },
    'expected bias to hold finite numbers, got NaN at flat index 1',
  ],
  [
    'setWeights with an Infinity in the recurrentKernel',
    (c) => {
      const [kernel, , bias] = c.weights();
      c.cell.setWeights([kernel, c.keep(tf.fill([H, c.kind.gates * H], Infinity)), bias]);
    },
    'expected recurrentKernel to hold finite numbers, got Infinity at flat index 0',
  ],
];

/** Per kind: the config checks, and what only LSTM or GRU take. */
function kindCases(kind: CellCase): Case[] {
  const G = kind.gates;
  const cases: Case[] = [];
  if (kind.states === 2) {
    cases.push(
      ['forward from a disposed c0', (c) => loose(c.cell).forward(c.x, null, disposedTensor([B, H])), 'expected initial cell state to be a live tf.Tensor, got a disposed one'],
      ['backward from a plain-array dLastCell', (c) => loose(c.cell).backward(c.tape, { dLastCell: [[1]] }), 'expected dLastCell (the shape of lastCell) to be a tf.Tensor, got a plain array (length 1)'],
      [
        'apply from h0 alone rather than [h0, c0]',
        (c) => apply(c, c.x, {}, c.t([B, H])),
        `expected initialStates to be an array [h0, c0] (each a tf.Tensor or null), got a tensor [${B}, ${H}]`,
      ],
    );
  }
  if (kind.kind !== 'simple') {
    cases.push(['apply with a [T, B] mask', (c) => apply(c, c.x, { mask: c.t([T, B]) }), `expected mask [${B}, ${T}] (batch, time), got [${T}, ${B}]`]);
  }
  const configs: Array<[config: object, message: string]> = [
    [{ useBias: 'no' }, "expected useBias to be true or false, got 'no'"],
    [{ inputDim: '4' }, "expected inputDim to be a positive integer, got '4'"],
    // The recurrent kernel [1e5, G·1e5] passes no typed array's limit: refused before any variable is made.
    [{ inputDim: 1, units: 1e5 }, `expected recurrentKernel of at most 2147483647 values, got [100000, ${G * 1e5}] = ${G * 1e10} (inputDim 1, units 100000)`],
  ];
  if (kind.states === 2) configs.push([{ unitForgetBias: 'yes' }, "expected unitForgetBias to be true or false, got 'yes'"]);
  if (G === 3) configs.push([{ resetAfter: 1 }, 'expected resetAfter to be true or false, got 1']);
  const className = kind.label.split(' ')[0];
  return cases.concat(configs.map(([config, message]): Case => [`new ${className}(${JSON.stringify(config)})`, () => makeWith(kind, config), message]));
}

/** The functional entry points take the weights as tensors: a SimpleRNN's own are used here. */
const fn = (c: Context) => ({ k: c.cell.kernel, rk: c.cell.recurrentKernel, b: c.cell.bias });
const simpleLast = simpleRNNLast as (...args: unknown[]) => tf.Tensor;
const simpleSequence = simpleRNNSequence as (...args: unknown[]) => tf.Tensor;
const FUNCTIONAL_CASES: Case[] = [
  ['simpleRNNLast(x) without weights', (c) => simpleLast(c.x), 'expected kernel to be a tf.Tensor, got undefined'],
  ['simpleRNNLast(x, kernel) without recurrentKernel', (c) => simpleLast(c.x, fn(c).k), 'expected recurrentKernel to be a tf.Tensor, got undefined'],
  ['simpleRNNLast without x', (c) => simpleLast(undefined, fn(c).k, fn(c).rk, fn(c).b), `expected input [batch, time, ${D}], got undefined`],
  ['simpleRNNLast with an int32 kernel', (c) => simpleLast(c.x, c.t([D, H], 0, 'int32'), fn(c).rk, fn(c).b), 'expected kernel of dtype float32, got int32'],
  ['simpleRNNLast with a disposed bias', (c) => simpleLast(c.x, fn(c).k, fn(c).rk, disposedTensor([H])), 'expected bias to be a live tf.Tensor, got a disposed one'],
  ['simpleRNNLast with a kernel of no units', (c) => simpleLast(c.x, c.t([D, 0]), c.t([0, 0]), null), `expected kernel [inputDim, units] with both positive, got [${D}, 0]`],
  ['simpleRNNSequence on a disposed input', (c) => simpleSequence(disposedTensor([B, T, D]), fn(c).k, fn(c).rk, fn(c).b), 'expected input to be a live tf.Tensor, got a disposed one'],
  ['simpleRNNSequence on a plain array', (c) => simpleSequence(plain([B, T, D]), fn(c).k, fn(c).rk, fn(c).b), `expected input [batch, time, ${D}], got a plain array (length ${B})`],
  ['simpleRNNSequence from a plain-array h0', (c) => simpleSequence(c.x, fn(c).k, fn(c).rk, fn(c).b, [[0, 0, 0]]), 'expected initial state to be a tf.Tensor, got a plain array (length 1)'],
  [
    "simpleRNNSequence with activation 'sigmoidd'",
    (c) => simpleSequence(c.x, fn(c).k, fn(c).rk, fn(c).b, null, 'sigmoidd' as never),
    "expected activation to be one of elu, hardSigmoid, linear, relu, relu6, selu, sigmoid, softmax, softplus, softsign, tanh, swish, mish, gelu, gelu_new, logSoftmax, hardSigmoidKeras3, got 'sigmoidd'",
  ],
];

const CLASSES = { simple: SimpleRNN, lstm: LSTM, gru: GRU, 'gru-before': GRU };

/** The kind's constructor with its default config overridden by `config`. */
function makeWith(kind: CellCase, config: object): AnyCell {
  const base = { inputDim: D, units: H, seed: 1, ...(kind.kind === 'gru-before' ? { resetAfter: false } : {}) };
  return new CLASSES[kind.kind]({ ...base, ...config } as never);
}

describe.each(backendsUnderTest())('on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  const finite = backendName === 'webgpu' ? [] : FINITE_CASES;
  const suites = CELL_CASES.map((k) => [k.label, k, [...CASES, ...finite, ...kindCases(k)]] as const);
  const simple = CELL_CASES.find((k) => k.kind === 'simple') as CellCase;
  describe.each([...suites, ['the functional SimpleRNN', simple, FUNCTIONAL_CASES] as const])('%s', (_label, kind, cases) => {
    test.each(cases)('%s', async (_name, call, message) => {
      await expectNoLeak(async () => {
        const c = await new Context(kind).snapshot();
        try {
          const got = messageOf(() => call(c)); // before the message: it may name a cell the call made
          expect(got).toContain(typeof message === 'string' ? message : message(c));
          await c.expectUnchanged();
        } finally {
          c.dispose();
        }
      });
    });
  });
});

/** The converters take plain arrays too: each must be rectangular numbers (tf.tensor fills the rest with NaN). */
const LAYOUT_CASES: Array<[name: string, call: () => unknown, message: string]> = [
  [
    'textbookToKeras with a ragged W',
    () => textbookToKeras({ W: [[1, 2, 3], [1]], U: [[1, 0], [0, 1]] }),
    'expected W[1] an array of 3 entries (W must be rectangular; its first entries give the shape [2, 3]), got an array of 1 entry',
  ],
  ['textbookToKeras with a string entry', () => textbookToKeras({ W: [[1], [2]], U: [[1, 0], [0, '1' as unknown as number]] }), "expected U[1][1] a number, got a string ('1')"],
  ['textbookToKeras(undefined)', () => textbookToKeras(undefined as never), 'expected weights { W, U, b? }, got undefined'],
  ["textbookToKeras with 'bias' for b", () => textbookToKeras({ W: tf.zeros([3, 2]), U: tf.eye(3), bias: tf.zeros([3]) } as never), "expected weights { W, U, b? }, got an unknown key 'bias'"],
  ['kerasToTextbook with a disposed kernel', () => kerasToTextbook({ kernel: disposedTensor([2, 3]), recurrentKernel: tf.eye(3) }), 'expected kernel a live tensor, got a disposed one'],
  [
    'kerasToPytorch with a ragged kernel',
    () => kerasToPytorch({ kernel: [[1, 2], [3]], recurrentKernel: [[1, 0], [0, 1]] }),
    'expected kernel[1] an array of 2 entries (kernel must be rectangular; its first entries give the shape [2, 2]), got an array of 1 entry',
  ],
  [
    'pytorchToKeras with a bidirectional state_dict',
    () => pytorchToKeras({ weight_ih_l0: tf.zeros([3, 2]), weight_hh_l0: tf.eye(3), weight_ih_l0_reverse: tf.zeros([3, 2]) } as never),
    "expected weights { weight_ih_l0, weight_hh_l0, bias_ih_l0?, bias_hh_l0? }, got an unknown key 'weight_ih_l0_reverse'",
  ],
  ['lstmPytorchToKeras with a string entry', () => lstmPytorchToKeras({ weight_ih_l0: [['1'], [2], [3], [4]] as never, weight_hh_l0: [[1], [2], [3], [4]] }), "expected weight_ih_l0[0][0] a number, got a string ('1')"],
  [
    "lstmKerasToPytorch with Keras's file name recurrent_kernel",
    () => lstmKerasToPytorch({ kernel: tf.zeros([2, 12]), recurrent_kernel: tf.zeros([3, 12]) } as never),
    "expected weights { kernel, recurrentKernel, bias? }, got an unknown key 'recurrent_kernel'",
  ],
  ['gruPytorchToKeras with a ragged weight_hh_l0', () => gruPytorchToKeras({ weight_ih_l0: tf.zeros([3, 2]), weight_hh_l0: [[1], [2], []] }), 'expected weight_hh_l0[2] an array of 1 entry'],
  ["gruKerasToPytorch with resetAfter: 'no'", () => gruKerasToPytorch({ kernel: tf.zeros([2, 9]), recurrentKernel: tf.zeros([3, 9]) }, { resetAfter: 'no' as never }), "expected resetAfter to be true or false, got 'no'"],
  [
    'gruKerasToPytorch with a misspelt option',
    () => gruKerasToPytorch({ kernel: tf.zeros([2, 9]), recurrentKernel: tf.zeros([3, 9]) }, { reset_after: true } as never),
    "expected options { resetAfter? }, got an unknown key 'reset_after'",
  ],
];

describe('layout converters', () => {
  test.each(LAYOUT_CASES)('%s', async (_name, call, message) => {
    // The arguments are made inside tidy, so that only the converter's own tensors could leak.
    await expectNoLeak(() => tf.tidy(() => expect(messageOf(call)).toContain(message)));
  });
});
