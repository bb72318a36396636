/**
 * Text from the chars model: a stateful batch-of-one copy of the network reads one character per
 * call and carries its states to the next; characters are drawn from the softmax at a temperature.
 */
import * as tf from '@tensorflow/tfjs';
import type { RnnModel } from './model';
import { Rng } from './random';

/**
 * Samples `length` characters from the chars model, starting from `startId`: a stateful copy of the
 * network (batch of one) reads one character per call and carries its states to the next.
 */
export async function sampleText(model: RnnModel, alphabet: string, startId: number, length: number, rng: Rng, temperature = 0.8): Promise<string> {
  if (model.spec.input.kind !== 'tokens') throw new Error('expected a token model to sample from, got a real-valued one');
  const sampler = model.copy('sampler');
  let id = startId;
  let out = alphabet[id];
  try {
    for (let i = 0; i < length; i++) {
      const probs = tf.tidy(() => {
        const z = sampler.apply(tf.tensor2d([[id]], [1, 1], 'int32')) as tf.Tensor; // [1, 1, V]
        return tf.softmax(tf.div(tf.reshape(z, [1, -1]), temperature)); // [1, V]
      });
      const p = await probs.data();
      probs.dispose();
      let u = rng.next();
      id = p.length - 1;
      for (let j = 0; j < p.length; j++) {
        u -= p[j];
        if (u < 0) {
          id = j;
          break;
        }
      }
      out += alphabet[id];
    }
  } finally {
    sampler.dispose();
  }
  return out;
}
