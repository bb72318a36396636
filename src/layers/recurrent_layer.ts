/**
 * The base of our drop-in layers: tf.layers' own RNN layer (tf.RNN, so shapes, masks, states,
 * resetStates, getConfig and tf.layers.bidirectional all behave as stock), whose call runs our
 * time-step driver through differentiableScan — one tf.customGrad whose gradient is the manual
 * BPTT — in place of tf.layers' per-step autodiff loop. Inside model.fit, optimizer.minimize and
 * tf.grads the gradient is therefore ours. The cell (a stock tf.layers cell, or GRUResetAfterCell)
 * only owns the weights: the same variables, names, shapes and initialisers as the stock layer.
 *
 * Semantics are tf.layers': masked steps carry states and output through (or give zeros with
 * zeroOutputForMask); goBackwards runs over the reversed sequence and returns outputs in that
 * order; a stateful layer starts each batch from the previous batch's final states, which are held
 * without their gradient history, so training on consecutive chunks of a long sequence is
 * truncated BPTT (truncated_bptt.ts). In training, dropout masks are drawn as stock draws them
 * (dropout_masks.ts) and run inside our BPTT as per-sequence constants; regularizers and
 * constraints act as in Keras (penalties.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, fmt } from '../cells/checks';
import type { CellMath, Params } from '../scan/contract';
import { differentiableScan } from '../scan/differentiable';
import { DropoutConfig, DropoutFunc, dropoutConstants, seedStream } from './dropout_masks';
import { inputNeedsGradient, watchGradients } from './input_gradient';
import type { RecurrentLayerArgs, RegularizerArg } from './layer_args';
import { constrainCellVariables } from './penalties';
import { checkHasTimeSteps } from './input_checks';

type RNNArgs = ConstructorParameters<typeof tf.RNN>[0];
type ApplyInputs = Parameters<tf.RNN['apply']>[0];
type Kwargs = NonNullable<Parameters<tf.RNN['apply']>[1]>;

/** A cell holds each declared parameter as a field of that name (tf.layers' cells: kernel, recurrentKernel, bias). */
type WeightOwner = Record<string, tf.LayerVariable | null | undefined>;

type Regularizer = { apply(x: tf.Tensor): tf.Scalar };

/** The options of ours that tf.RNN does not keep. */
type Extras = Pick<RecurrentLayerArgs, 'dropout' | 'recurrentDropout' | 'dropoutFunc' | 'seed' | 'zeroOutputForMask' | 'activityRegularizer'>;

/** A regularizer as tf.layers resolves it (a name, a config or an instance), or null. */
function regularizerOf(arg: RegularizerArg | undefined): Regularizer | null {
  if (arg == null) return null;
  const probe = tf.layers.dense({ units: 1, kernelRegularizer: arg as never }); // tf.layers' own resolution
  return (probe as unknown as { kernelRegularizer: Regularizer | null }).kernelRegularizer;
}

export abstract class RecurrentLayer extends tf.RNN {
  private readonly math: CellMath;
  private readonly dropoutConfig: DropoutConfig;
  readonly zeroOutputForMask: boolean;
  private readonly seed: number | null;
  private readonly activityPenalty: Regularizer | null;
  /** The activity penalty of the last training call (a loss of this layer), or null. */
  private lastActivityPenalty: tf.Scalar | null = null;

  protected constructor(args: RNNArgs & Extras, math: CellMath) {
    super(args);
    watchGradients();
    this.math = math;
    this.seed = args.seed ?? null;
    this.dropoutConfig = {
      dropout: args.dropout ?? 0,
      recurrentDropout: args.recurrentDropout ?? 0,
      dropoutFunc: (args.dropoutFunc ?? null) as DropoutFunc | null,
      count: math.gates,
      rng: seedStream(args.seed),
    };
    this.zeroOutputForMask = args.zeroOutputForMask === true;
    this.activityPenalty = regularizerOf(args.activityRegularizer);
    this.lastActivityPenalty = null;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    super.build(inputShape);
    constrainCellVariables(this.cell);
  }

  /** The cell's weight penalties, and the activity penalty of the last training call. */
  override get losses(): Array<() => tf.Scalar> {
    const own = this.lastActivityPenalty === null ? [] : [() => this.lastActivityPenalty as tf.Scalar];
    return [...super.losses, ...this.cell.losses, ...own];
  }

  override calculateLosses(): tf.Scalar[] {
    return this.losses.map((f) => f());
  }

  override apply(inputs: ApplyInputs, kwargs?: Kwargs): ReturnType<tf.RNN['apply']> {
    // tf.RNN.apply writes initialState into the kwargs it is given, and fit's executor hands one
    // kwargs object to every call: a second call (a model fetching both the output and the
    // states) would then see initial states twice and throw. A copy keeps each call its own.
    return super.apply(inputs, kwargs == null ? kwargs : { ...kwargs });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), zeroOutputForMask: this.zeroOutputForMask };
    delete config.dropoutFunc; // a function: not serializable (tf.layers leaves it out too)
    if (this.seed !== null) config.seed = this.seed;
    if (this.activityPenalty !== null) config.activityRegularizer = { className: (this.activityPenalty as unknown as tf.serialization.Serializable).getClassName(), config: (this.activityPenalty as unknown as tf.serialization.Serializable).getConfig() };
    return config;
  }

  /** The cell's variables' values, by the names its math declares. */
  private cellParams(): Params {
    const c = this.cell as unknown as WeightOwner;
    const out: Record<string, tf.Tensor> = {};
    for (const p of this.math.parameters) {
      const v = c[p.name];
      if (v == null) throw new Error(`expected ${this.name} to be built before it is called, got an unbuilt layer (no ${p.name})`);
      out[p.name] = v.read();
    }
    return out;
  }

  /** The initial states given (inputs after x, kwargs.initialState, or a stateful layer's), or nulls. */
  private initialStates(list: tf.Tensor[], kwargs: Kwargs, B: number, H: number): Array<tf.Tensor2D | null> {
    const S = this.math.stateNames.length;
    const fromKwargs = kwargs.initialState as unknown;
    let given: unknown[] | null = null;
    if (list.length > 1) given = list.slice(1);
    else if (fromKwargs != null) given = Array.isArray(fromKwargs) ? fromKwargs : [fromKwargs];
    else if (this.stateful) given = this.states_;
    if (given == null) return new Array(S).fill(null);
    if (given.length !== S) throw new Error(`expected ${S} initial state(s) for ${this.name}, got ${given.length}`);
    return given.map((s, k) => {
      const what = `initial state ${k} of ${this.name}`;
      if (!(s instanceof tf.Tensor)) throw new Error(`expected ${what} to be a tf.Tensor [${B}, ${H}], got ${describe(s)}`);
      if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== H) {
        const hint = this.stateful && list.length === 1 && fromKwargs == null ? ' (a stateful layer keeps its batch size: resetStates() after changing it)' : '';
        throw new Error(`expected ${what} [${B}, ${H}], got ${fmt(s.shape)}${hint}`);
      }
      return s as tf.Tensor2D;
    });
  }

  /** The mask [B, T] as float32 (1 = step, 0 = carry through), or null. */
  private maskOf(kwargs: Kwargs, B: number, T: number): tf.Tensor2D | null {
    const raw = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    if (raw == null) return null;
    if (!(raw instanceof tf.Tensor) || raw.rank !== 2 || raw.shape[0] !== B || raw.shape[1] !== T) {
      throw new Error(`expected the mask of ${this.name} to be [${B}, ${T}] (batch, time), got ${raw instanceof tf.Tensor ? fmt(raw.shape) : describe(raw)}`);
    }
    // Masks come as bool. On webgpu, tfjs's cast from bool hands back a tensor that a later
    // reshape + transpose (the driver's layout change) compiles wrongly (a WGSL type mismatch);
    // the + 0 gives the mask a float32 buffer of its own.
    return tf.add(tf.cast(raw, 'float32'), 0) as tf.Tensor2D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const w = this.cellParams();
      const stateSize = (this.cell as unknown as { stateSize: number | number[] }).stateSize;
      const H = Array.isArray(stateSize) ? stateSize[0] : stateSize;
      const x = list[0];
      const projection = this.math.parameters.find((p) => 'product' in p.finish && p.finish.product === 'input');
      const D = (projection === undefined ? (x instanceof tf.Tensor ? x.shape[2] : NaN) : w[projection.name].shape[0]) as number;
      if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== D) {
        throw new Error(`expected input [batch, time, ${D}] for ${this.name}, got ${x instanceof tf.Tensor ? fmt(x.shape) : describe(x)}`);
      }
      for (const p of this.math.parameters) {
        const want = p.shape(D, H);
        const got = w[p.name].shape;
        if (want.length !== got.length || want.some((v, i) => v !== got[i])) throw new Error(`expected ${this.name}'s ${p.name} ${fmt(want)}, got ${fmt(got)}`);
      }
      checkHasTimeSteps(this.name, x);
      const [B, T] = x.shape;
      const initial = this.initialStates(list, kwargs, B, H);
      let mask = this.maskOf(kwargs, B, T);
      const training = kwargs.training === true;
      const inputGradient = inputNeedsGradient(x);
      let x3 = (x.dtype === 'float32' ? x : tf.cast(x, 'float32')) as tf.Tensor3D;
      if (this.goBackwards) {
        x3 = tf.reverse(x3, 1);
        if (mask !== null) mask = tf.reverse(mask, 1);
      }
      const constants = training ? dropoutConstants(this.dropoutConfig, B, D, H) : {};
      const out = differentiableScan(
        this.math,
        x3,
        w,
        initial,
        H,
        { returnSequences: this.returnSequences, returnState: this.returnState || this.stateful, inputGradient, mask },
        constants,
      );
      if (this.stateful) this.holdStates(out.slice(1));
      if (this.zeroOutputForMask && this.returnSequences && mask !== null) out[0] = tf.mul(out[0], tf.expandDims(mask, 2)); // zeros at masked steps
      const outputs = this.returnState ? out : [out[0]];
      if (training && this.activityPenalty !== null) this.holdActivityPenalty(outputs);
      return this.returnState ? outputs : outputs[0];
    });
  }

  /** Σ over the outputs of the activity regularizer (Keras 3), kept as this layer's loss until the next training call. */
  private holdActivityPenalty(outputs: tf.Tensor[]): void {
    const penalty = tf.keep(tf.addN(outputs.map((o) => (this.activityPenalty as Regularizer).apply(o))) as tf.Scalar);
    this.lastActivityPenalty?.dispose();
    this.lastActivityPenalty = penalty;
  }

  /**
   * Keeps copies of the final states for the next batch. The previous ones can go: our tape holds
   * its own copy of the initial states, so BPTT does not need them (tf.layers keeps them alive).
   */
  private holdStates(states: tf.Tensor[]): void {
    const previous = this.states_;
    this.states_ = states.map((s) => tf.keep(tf.clone(s)));
    if (previous != null) tf.dispose(previous);
  }

  /** Also frees a stateful layer's held states, which tf.layers leaves behind. */
  override dispose(): ReturnType<tf.RNN['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0 && this.states_ != null) {
      tf.dispose(this.states_.filter((s) => s != null && !s.isDisposed));
      this.states_ = null as unknown as tf.Tensor[];
    }
    if (result.refCountAfterDispose === 0) {
      this.lastActivityPenalty?.dispose();
      this.lastActivityPenalty = null;
    }
    return result;
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    // tf.layers' deserializer adds the registry of custom classes to every config: not an option.
    const { customObjects, ...args } = config;
    void customObjects;
    return new cls(args);
  }
}
