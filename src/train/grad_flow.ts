/**
 * Gradient flow: ‖∂L/∂h_t‖ for t = 1..T on one batch, h_t the state of the first recurrent layer
 * (the one nearest the input, where vanishing gradients show), from our manual BPTT. The rest of
 * the model's gradient (∂L/∂output of that layer) comes from tfjs autodiff through the later
 * layers; the time-step driver carries it back through time and returns the total ∂L/∂h_t at
 * every step (returnStateGradients). A bidirectional layer's two directions are summed in
 * squares at each input position t (the backward direction's state there is the one after it
 * read x_t).
 */
import * as tf from '@tensorflow/tfjs';
import { scanBackward, scanForward } from '../testing';
import { cellMath, RnnModel } from './model';

/** Frobenius norm over the batch (and both directions) of ∂L/∂h_t, for t = 1..T. */
export async function gradientFlow(model: RnnModel, x: tf.Tensor, y: tf.Tensor): Promise<number[]> {
  const norms = tf.tidy(() => {
    const spec = model.spec;
    const layers = model.net.layers;
    const k = layers.indexOf(model.recurrentLayers[0]);
    const input = (k === 0 ? x : layers[0].apply(x)) as tf.Tensor3D; // [B, T, D]
    const [B] = input.shape;
    const math = cellMath(spec);
    const S = math.stateNames.length;
    const w = layers[k].trainableWeights.map((v) => v.read());
    const perCell = w.length / (spec.bidirectional ? 2 : 1); // kernel, recurrent kernel, bias
    const sequences = spec.layers > 1 || spec.returnSequences;
    const runs = (spec.bidirectional ? [false, true] : [false]).map((backwards, d) => {
      const weights = Object.fromEntries(math.parameters.map((p, i) => [p.name, w[d * perCell + i]]));
      const zeros = Array.from({ length: S }, () => tf.zeros([B, spec.units]) as tf.Tensor2D);
      return { backwards, ...scanForward(math, backwards ? (tf.reverse(input, 1) as tf.Tensor3D) : input, weights, zeros) };
    });
    // The layer's output as tf.layers builds it (Bidirectional: backward sequence re-reversed, concat).
    const outputs = runs.map((r) => (!sequences ? r.last[0] : r.backwards ? tf.reverse(r.sequence, 1) : r.sequence));
    const output = outputs.length === 1 ? outputs[0] : tf.concat(outputs, -1);
    const rest = (h: tf.Tensor): tf.Tensor => layers.slice(k + 1).reduce((t, l) => l.apply(t) as tf.Tensor, h);
    const dOutput = tf.grad((h: tf.Tensor) => model.lossOf(rest(h), y))(output);
    const parts = runs.length === 1 ? [dOutput] : tf.split(dOutput, 2, -1);
    const noStates = Array.from({ length: S - 1 }, () => null);
    const squares = runs.map((r, d) => {
      const upstream = sequences
        ? { dSequence: (r.backwards ? tf.reverse(parts[d], 1) : parts[d]) as tf.Tensor3D, dLast: [null, ...noStates] }
        : { dSequence: null, dLast: [parts[d] as tf.Tensor2D, ...noStates] };
      const state = scanBackward(math, r.tape, upstream, { inputGradients: false, returnStateGradients: true }).state as tf.Tensor3D; // [B, T, H]
      return tf.sum(tf.square(r.backwards ? tf.reverse(state, 1) : state), [0, 2]); // [T]
    });
    return tf.sqrt(squares.length === 1 ? squares[0] : tf.add(squares[0], squares[1]));
  });
  try {
    return Array.from(await norms.data()); // async: webgpu has no synchronous read
  } finally {
    norms.dispose();
  }
}
