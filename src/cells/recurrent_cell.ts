/**
 * What every cell class shares: its parameters as tf.Variables, made from what the cell's math
 * declares (names, shapes, order) with seeded initializers; getWeights/setWeights; the forward pass
 * that records a tape; the manual backward; the differentiable application. The math is the cell's
 * CellMath (src/scan/contract.ts), run by the time-step driver (src/scan/scan.ts). SimpleRNN, LSTM
 * and GRU are thin classes over this.
 */
import * as tf from '@tensorflow/tfjs';
import { checkBatchedInput, checkBoolean, checkFields, checkFinite, checkInput, checkPositiveInt, checkShape, checkTensor, checkTensorShape, describe, fieldsText, fmt } from './checks';

export { checkBatchedInput };
import type { CellMath, Params } from '../scan/contract';
import { DifferentiableOptions, differentiableScan } from '../scan/differentiable';
import { scanBackward, scanForward } from '../scan/scan';
import { RNNTape, ScanTape } from '../scan/tape';

/** The config every cell takes. */
export interface RecurrentCellConfig {
  inputDim: number;
  units: number;
  /** Default true. */
  useBias?: boolean;
  /** Seed of the initializers. Default 0. */
  seed?: number;
  /** Prefix of the variable names. Default '<cell>_<n>'. */
  name?: string;
}

/** How a cell class describes its variables to the base class (their shapes are the math's). */
export interface CellShape {
  /** Default name prefix ('simple_rnn', 'lstm', 'gru'). */
  prefix: string;
  /** The initial value of each declared parameter, by name, for D input features and H units. */
  init: Readonly<Record<string, (D: number, H: number, seed: number) => tf.Tensor>>;
}

/** Gradients of one backward pass, by state, in the driver's terms (the classes name them). */
export interface StateGradients {
  /** By parameter name. */
  params: Record<string, tf.Tensor>;
  input: tf.Tensor;
  initial: tf.Tensor[];
  state?: tf.Tensor;
}

/** The options apply() takes (a SimpleRNN's: returnSequences only, as its apply returns one tensor). */
const APPLY_OPTIONS: ReadonlyArray<keyof DifferentiableOptions> = ['returnSequences', 'returnState', 'inputGradient', 'mask'];

/** The largest tensor we try to allocate (tfjs's typed arrays are limited to 2³¹ − 1 elements). */
const MAX_ELEMENTS = 2 ** 31 - 1;
const counters = new Map<string, number>();

export abstract class RecurrentCell {
  readonly inputDim: number;
  readonly units: number;
  readonly useBias: boolean;
  readonly name: string;
  /** The variables, by parameter name, in the order the math declares them. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  private disposed = false;

  protected constructor(
    config: RecurrentCellConfig,
    shape: CellShape,
    /** The cell's math, made from its validated config. */
    private readonly math: CellMath,
  ) {
    this.inputDim = checkPositiveInt('inputDim', config.inputDim);
    this.units = checkPositiveInt('units', config.units);
    this.useBias = checkBoolean('useBias', config.useBias, true);
    const seed = config.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new Error(`expected seed to be an integer, got ${describe(seed)}`);
    if (config.name !== undefined && (typeof config.name !== 'string' || config.name === '')) {
      throw new Error(`expected name to be a non-empty string, got ${describe(config.name)}`);
    }
    const n = counters.get(shape.prefix) ?? 0;
    counters.set(shape.prefix, n + 1);
    this.name = config.name ?? `${shape.prefix}_${n}`;
    const [D, H] = [this.inputDim, this.units];
    for (const p of math.parameters) {
      const dims = p.shape(D, H);
      const n = dims.reduce((a, b) => a * b, 1);
      if (n > MAX_ELEMENTS) throw new Error(`expected ${p.name} of at most ${MAX_ELEMENTS} values, got ${fmt(dims)} = ${n} (inputDim ${D}, units ${H})`);
    }
    const made: Record<string, tf.Variable> = {};
    try {
      for (const p of math.parameters) {
        const init = shape.init[p.name];
        made[p.name] = tf.tidy(() => tf.variable(init(D, H, seed), true, `${this.name}/${p.kerasName}`));
      }
    } catch (e) {
      tf.dispose(Object.values(made)); // nothing half-made stays behind
      throw e;
    }
    this.variables = made;
  }

  /** W [D, G·H]. */
  get kernel(): tf.Variable<tf.Rank.R2> {
    return this.variables.kernel as tf.Variable<tf.Rank.R2>;
  }

  /** U [H, G·H]. */
  get recurrentKernel(): tf.Variable<tf.Rank.R2> {
    return this.variables.recurrentKernel as tf.Variable<tf.Rank.R2>;
  }

  /** The bias, or null when useBias is false. */
  get bias(): tf.Variable | null {
    return this.variables.bias ?? null;
  }

  /** True after dispose(). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The trainable variables, in tf.layers order: kernel, recurrentKernel[, bias] (as declared). */
  get trainableWeights(): tf.Variable[] {
    return Object.values(this.variables);
  }

  countParams(): number {
    return this.trainableWeights.reduce((n, w) => n + w.size, 0);
  }

  /** Copies of the weights, in tf.layers order [kernel, recurrentKernel(, bias)]. Caller disposes. */
  getWeights(): tf.Tensor[] {
    this.checkLive();
    return this.trainableWeights.map((w) => tf.clone(w));
  }

  /**
   * Sets the weights from [kernel, recurrentKernel(, bias)] (tf.layers order and shapes). All are
   * checked (live float32 tensors of the right shape, finite where a synchronous read is possible)
   * before any is assigned, so a refused call leaves the cell as it was.
   */
  setWeights(weights: tf.Tensor[]): void {
    this.checkLive();
    const names = Object.keys(this.variables);
    if (!Array.isArray(weights) || weights.length !== names.length) {
      const got = Array.isArray(weights) ? `${weights.length} weights` : describe(weights);
      throw new Error(`expected ${names.length} weights [${names.join(', ')}], got ${got}`);
    }
    const vars = this.trainableWeights;
    weights.forEach((w, i) => {
      checkTensorShape(names[i], w, vars[i].shape);
      checkFinite(names[i], w);
    });
    weights.forEach((w, i) => vars[i].assign(w));
  }

  /** Disposes the weights; the cell cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.trainableWeights);
  }

  protected checkLive(): void {
    if (this.disposed) throw new Error(`expected a live cell, got ${this.name}, which was disposed`);
    const gone = this.trainableWeights.find((w) => w.isDisposed);
    if (gone !== undefined) {
      throw new Error(`expected a live cell, got ${this.name}, whose variable ${gone.name} was disposed (by tf.disposeVariables() or its own dispose())`);
    }
  }

  protected weights(): Params {
    return this.variables;
  }

  /** The state names for messages: ['initial state'] or ['initial state', 'initial cell state']. */
  private initialNames(): string[] {
    return this.math.stateNames.map((s) => (s === 'h' ? 'initial state' : 'initial cell state'));
  }

  /**
   * Forward over x [B, T, D] or [T, D], from initial states (zeros where absent). Returns the
   * sequence [B, T, H] (or [T, H]), the final states and the tape; the caller disposes all.
   */
  protected forwardStates(x: tf.Tensor, initial: Array<tf.Tensor | null | undefined>): { sequence: tf.Tensor; last: tf.Tensor[]; tape: RNNTape } {
    this.checkLive();
    const [D, H] = [this.inputDim, this.units];
    const names = this.initialNames();
    const { B, T, unbatched } = checkInput(x, D, H, names.map((n, k) => [n, initial[k]] as const));
    const r = tf.tidy(() => {
      const x3 = tf.reshape(x, [B, T, D]) as tf.Tensor3D; // [B, T, D]
      const init = names.map((_, k) => {
        const s = initial[k];
        return (s == null ? tf.zeros([B, H]) : tf.reshape(s, [B, H])) as tf.Tensor2D; // [B, H]
      });
      const out = scanForward(this.math, x3, this.weights(), init);
      const sequence = unbatched ? tf.reshape(out.sequence, [T, H]) : out.sequence; // [T, H] or [B, T, H]
      const last = unbatched ? out.last.map((s) => tf.reshape(s, [H])) : out.last;
      return { scan: out.tape, sequence, last } as unknown as tf.TensorContainerObject;
    }) as unknown as { scan: ScanTape; sequence: tf.Tensor; last: tf.Tensor[] };
    const tape = new RNNTape(r.scan, this, this.name, unbatched, [B, T, D]);
    return { sequence: r.sequence, last: r.last, tape };
  }

  /** The upstream gradients' names: dSequence, then one per state (dLast, and dLastCell for an LSTM). */
  private upstreamNames(): string[] {
    return ['dSequence', ...this.math.stateNames.map((s) => (s === 'h' ? 'dLast' : 'dLastCell'))];
  }

  /** Checks a tape and upstream gradients against this cell; returns them reshaped to [B, ·]. */
  private checkUpstream(tape: unknown, upstream: unknown) {
    this.checkLive();
    if (!(tape instanceof RNNTape)) throw new Error(`expected a tape from ${this.name}.forward(), got ${describe(tape)}`);
    if (tape.owner !== this) {
      throw new Error(`expected a tape from ${this.name}.forward(), got one from ${tape.ownerName}.forward()`);
    }
    const scan = tape.scanTape;
    const names = this.upstreamNames();
    const given = checkFields('upstream gradients', upstream, names, fieldsText([], names));
    const [dSequence, ...dLast] = names.map((n) => given[n]);
    if (dSequence == null && dLast.every((d) => d == null)) {
      throw new Error(`expected an upstream gradient ${names.slice(0, -1).join(', ')} and/or ${names[names.length - 1]}, got neither`);
    }
    const [B, T] = tape.inputShape;
    const H = this.units;
    if (dSequence != null) checkTensorShape('dSequence (the shape of sequence)', dSequence, tape.unbatched ? [T, H] : [B, T, H]);
    dLast.forEach((d, k) => {
      if (d != null) checkTensorShape(`${k === 0 ? 'dLast (the shape of last)' : 'dLastCell (the shape of lastCell)'}`, d, tape.unbatched ? [H] : [B, H]);
    });
    return {
      scan,
      dSeq: dSequence == null ? null : (tf.reshape(dSequence as tf.Tensor, [B, T, H]) as tf.Tensor3D),
      dLast: dLast.map((d) => (d == null ? null : (tf.reshape(d as tf.Tensor, [B, H]) as tf.Tensor2D))),
    };
  }

  /**
   * Manual BPTT from a tape of this cell, for upstream gradients { dSequence?, dLast?(, dLastCell?) }
   * and options { returnStateGradients? }. Does not dispose the tape.
   */
  protected backwardStates(tape: RNNTape, upstream: unknown, options: unknown): StateGradients {
    return tf.tidy(() => {
      const u = this.checkUpstream(tape, upstream);
      const o = checkFields('options', options, ['returnStateGradients'], '{ returnStateGradients? }', true);
      const returnStateGradients = checkBoolean('returnStateGradients', o.returnStateGradients, false);
      const g = scanBackward(this.math, u.scan, { dSequence: u.dSeq, dLast: u.dLast }, { returnStateGradients });
      const [, T, D] = tape.inputShape;
      const H = this.units;
      const input = tape.unbatched ? tf.reshape(g.x as tf.Tensor3D, [T, D]) : (g.x as tf.Tensor3D);
      const initial = (g.initial as tf.Tensor2D[]).map((s) => (tape.unbatched ? tf.reshape(s, [H]) : s));
      const out: StateGradients = { params: g.params, input, initial };
      if (g.state !== undefined) out.state = tape.unbatched ? tf.reshape(g.state, [T, H]) : g.state;
      return out as unknown as tf.TensorContainerObject;
    }) as unknown as StateGradients;
  }

  /** The weight gradients alone (no ∂x, no ∂states_0): what a first layer's training step needs. */
  protected weightGradientsStates(tape: RNNTape, upstream: unknown): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const u = this.checkUpstream(tape, upstream);
      return scanBackward(this.math, u.scan, { dSequence: u.dSeq, dLast: u.dLast }, { inputGradients: false }).params;
    });
  }

  /**
   * Differentiable application (tf.customGrad; its gradient is the manual BPTT) for use inside
   * tf.grads, tf.variableGrads, optimizer.minimize. x [B, T, D]; initial states [B, H] or null;
   * options among `allowed` (DifferentiableOptions; the mask [B, T] float32).
   */
  protected applyStates(x: tf.Tensor, initial: readonly unknown[], options: unknown, allowed = APPLY_OPTIONS): tf.Tensor[] {
    this.checkLive();
    checkBatchedInput(x, this.inputDim, this.units, this.initialNames().map((n, k) => [n, initial[k]] as const));
    const [B, T] = x.shape;
    const o = checkFields('options', options, allowed, fieldsText([], allowed), true);
    if (o.mask != null) checkTensorShape('mask', o.mask, [B, T], `[${B}, ${T}] (batch, time)`);
    const checked: DifferentiableOptions = {
      returnSequences: checkBoolean('returnSequences', o.returnSequences, false),
      returnState: checkBoolean('returnState', o.returnState, false),
      inputGradient: checkBoolean('inputGradient', o.inputGradient, true),
      mask: o.mask == null ? null : (o.mask as tf.Tensor2D),
    };
    return differentiableScan(this.math, x as tf.Tensor3D, this.weights(), initial.map((s) => (s == null ? null : (s as tf.Tensor2D))), this.units, checked);
  }
}

/**
 * Checks the raw arguments of a functional entry point (weights given as tensors rather than a
 * cell): live float32 tensors of consistent shapes. Returns D and H.
 */
export function checkFunctionalWeights(gates: number, kernel: unknown, recurrentKernel: unknown, bias: unknown, biasShape: (H: number) => number[]): { D: number; H: number } {
  const k = checkTensor('kernel', kernel);
  if (k.rank !== 2 || (k.shape[1] as number) % gates !== 0) throw new Error(`expected kernel [inputDim, ${gates === 1 ? '' : `${gates}·`}units], got ${fmt(k.shape)}`);
  const [D, GH] = k.shape as [number, number];
  if (D === 0 || GH === 0) throw new Error(`expected kernel [inputDim, ${gates === 1 ? '' : `${gates}·`}units] with both positive, got ${fmt(k.shape)}`);
  const H = GH / gates;
  checkShape('recurrentKernel', checkTensor('recurrentKernel', recurrentKernel), [H, GH]);
  if (bias != null) checkShape('bias', checkTensor('bias', bias), biasShape(H));
  return { D, H };
}
