/**
 * The base of our drop-in layers: tf.layers' own RNN layer (tf.RNN, so shapes, masks, states,
 * resetStates, getConfig and tf.layers.bidirectional all behave as stock), whose call runs our
 * time-step driver through differentiableScan — one tf.customGrad whose gradient is the manual
 * BPTT — in place of tf.layers' per-step autodiff loop. Inside model.fit, optimizer.minimize and
 * tf.grads the gradient is therefore ours. The cell (a stock tf.layers cell, or GRUResetAfterCell)
 * only owns the weights: the same variables, names, shapes and initialisers as the stock layer.
 *
 * Semantics are tf.layers': masked steps carry states and output through; goBackwards runs over
 * the reversed sequence and returns outputs in that order; a stateful layer starts each batch from
 * the previous batch's final states, which are held without their gradient history, so training
 * on consecutive chunks of a long sequence is truncated BPTT (truncated_bptt.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, fmt } from '../cells/checks';
import type { CellMath, Params } from '../scan/contract';
import { differentiableScan } from '../scan/differentiable';

type RNNArgs = ConstructorParameters<typeof tf.RNN>[0];
type ApplyInputs = Parameters<tf.RNN['apply']>[0];
type Kwargs = NonNullable<Parameters<tf.RNN['apply']>[1]>;

/** A cell holds each declared parameter as a field of that name (tf.layers' cells: kernel, recurrentKernel, bias). */
type WeightOwner = Record<string, tf.LayerVariable | null | undefined>;

export abstract class RecurrentLayer extends tf.RNN {
  private readonly math: CellMath;
  /**
   * True while model.fit's executor runs this layer on the model's own input: nothing trainable lies
   * before it, so ∂x is never used and is not computed (customGrad would otherwise form it).
   */
  private inputIsData = false;

  protected constructor(args: RNNArgs, math: CellMath) {
    super(args);
    this.math = math;
  }

  /** Whether every call of this layer in a model takes the model's input directly. */
  private fedByModelInput(): boolean {
    const nodes = this.inboundNodes;
    return nodes.length > 0 && nodes.every((n) => n.inboundLayers.length > 0 && n.inboundLayers[0].getClassName() === 'InputLayer');
  }

  override apply(inputs: ApplyInputs, kwargs?: Kwargs): ReturnType<tf.RNN['apply']> {
    // model.fit and trainOnBatch reach a layer through apply with concrete tensors and training
    // true; model.apply(x) and Bidirectional call `call` directly and so always get ∂x.
    const first = Array.isArray(inputs) ? inputs[0] : inputs;
    this.inputIsData = first instanceof tf.Tensor && kwargs?.training === true && this.fedByModelInput();
    try {
      // tf.RNN.apply writes initialState into the kwargs it is given, and fit's executor hands one
      // kwargs object to every call: a second call (a model fetching both the output and the
      // states) would then see initial states twice and throw. A copy keeps each call its own.
      return super.apply(inputs, kwargs == null ? kwargs : { ...kwargs });
    } finally {
      this.inputIsData = false;
    }
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
      const [B, T] = x.shape;
      const initial = this.initialStates(list, kwargs, B, H);
      let mask = this.maskOf(kwargs, B, T);
      let x3 = (x.dtype === 'float32' ? x : tf.cast(x, 'float32')) as tf.Tensor3D;
      if (this.goBackwards) {
        x3 = tf.reverse(x3, 1);
        if (mask !== null) mask = tf.reverse(mask, 1);
      }
      const out = differentiableScan(this.math, x3, w, initial, H, {
        returnSequences: this.returnSequences,
        returnState: this.returnState || this.stateful,
        inputGradient: !this.inputIsData,
        mask,
      });
      if (this.stateful) this.holdStates(out.slice(1));
      return this.returnState ? out : out[0];
    });
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
