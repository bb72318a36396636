/**
 * Which Keras saved a model, as far as its semantics differ for us:
 *
 *   hard_sigmoid      Keras ≤ 2.x: clip(0.2·x + 0.5, 0, 1)      Keras 3: relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1)
 *   masked steps      standalone Keras ≤ 2.3: the previous output is carried through (also inside
 *   (return_sequences) Bidirectional); tf.keras ≥ 2.4 and Keras 3: zeros (Bidirectional forces
 *                     zero_output_for_mask = return_sequences, and the cuDNN kernels give zeros)
 */
export interface KerasVersion {
  /** As stored ('2.13.1', '3.8.0'), or 'unknown'. */
  text: string;
  major: number;
  minor: number;
}

/** The version from a stored string; a config with Keras 3's fields and no version is taken as 3. */
export function parseVersion(text: unknown, config?: unknown): KerasVersion {
  if (typeof text === 'string') {
    const m = /^(\d+)\.(\d+)/.exec(text);
    if (m) return { text, major: Number(m[1]), minor: Number(m[2]) };
  }
  const keras3 = config !== undefined && /"(batch_shape|registered_name)"|"DTypePolicy"/.test(JSON.stringify(config));
  return keras3 ? { text: 'unknown (Keras 3 fields)', major: 3, minor: 0 } : { text: 'unknown', major: 2, minor: 0 };
}

export const isKeras3 = (v: KerasVersion): boolean => v.major >= 3;

/** Whether masked steps of a return_sequences layer output zeros (tf.keras ≥ 2.4, Keras 3). */
export const zerosAtMaskedSteps = (v: KerasVersion): boolean => v.major > 2 || (v.major === 2 && v.minor >= 4);
