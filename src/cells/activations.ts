/**
 * The activations the cells accept, declared once. `activation` is the state's (SimpleRNN's act, an
 * LSTM's candidate and cell output, a GRU's candidate); `recurrentActivation` is a gate's.
 *
 *   tanh         tanh(a)                      act'(a) = 1 − tanh(a)²
 *   relu         max(a, 0)                    [a > 0]
 *   linear       a                            1
 *   sigmoid      σ(a) = 1 / (1 + e^−a)        σ(a)(1 − σ(a))
 *   hardSigmoid  clip(0.2·a + 0.5, 0, 1)      0.2 where 0 ≤ 0.2·a + 0.5 ≤ 1 (tfjs's and Keras's form)
 */
import * as tf from '@tensorflow/tfjs';

export type Activation = 'tanh' | 'relu' | 'linear';
export type RecurrentActivation = 'sigmoid' | 'hardSigmoid';

export const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu', 'linear'];
export const RECURRENT_ACTIVATIONS: readonly RecurrentActivation[] = ['sigmoid', 'hardSigmoid'];

/** act(a) by tfjs ops (autodiff differentiates it). */
export function activate(name: Activation | RecurrentActivation, a: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'tanh':
      return tf.tanh(a);
    case 'relu':
      return tf.relu(a);
    case 'linear':
      return a;
    case 'sigmoid':
      return tf.sigmoid(a);
    case 'hardSigmoid':
      return tf.clipByValue(tf.add(tf.mul(a, 0.2), 0.5), 0, 1);
  }
}

/**
 * act'(a) from the activation's OUTPUT y = act(a), which is what the cells keep per step:
 * tanh 1 − y², sigmoid y(1 − y), relu [y > 0], linear 1, hardSigmoid 0.2·[0 < y < 1] (at exactly
 * a = ±2.5, where tfjs's clip passes the gradient, this gives 0; the difference is a set of measure
 * zero). Returns null for linear (the factor is 1).
 */
export function derivativeFromOutput(name: Activation | RecurrentActivation, y: tf.Tensor): tf.Tensor | null {
  switch (name) {
    case 'tanh':
      return tf.sub(1, tf.square(y));
    case 'sigmoid':
      return tf.mul(y, tf.sub(1, y));
    case 'relu':
      return tf.step(y);
    case 'linear':
      return null;
    case 'hardSigmoid':
      return tf.mul(tf.cast(tf.logicalAnd(tf.greater(y, 0), tf.less(y, 1)), 'float32'), 0.2);
  }
}

/** a ⊙ b where b may be null (a factor of 1). */
export function timesOrSelf(a: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  return b === null ? a : tf.mul(a, b);
}
