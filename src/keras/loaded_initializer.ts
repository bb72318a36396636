/**
 * The initializer every weight of a loaded Keras model is built with: it fills zeros (the file's
 * weights replace them at once) and serializes as the initializer the file named. Building with
 * the named one would be wasted work, and slow: tfjs's Orthogonal runs a QR decomposition on the
 * CPU (a 128-unit GRU's recurrent kernel took seconds), and Keras 3.3's 'OrthogonalInitializer'
 * is a name tfjs does not know. getConfig() and model.toJSON() still say what Keras saved.
 */
import * as tf from '@tensorflow/tfjs';
import type { Zeros as ZerosClass } from '@tensorflow/tfjs-layers/dist/initializers';

type ConfigDict = tf.serialization.ConfigDict;

/** tfjs's Zeros initializer class (tfjs exports only a factory for it). */
const Zeros = tf.initializers.zeros().constructor as typeof ZerosClass;

/** While > 0, models are being built: copies made from configs (Bidirectional's backward layer) must stay LoadedInitializers. */
let building = 0;

/** Runs build() with LoadedInitializers serializing as themselves. */
export async function whileBuilding<T>(build: () => Promise<T>): Promise<T> {
  building++;
  try {
    return await build();
  } finally {
    building--;
  }
}

export class LoadedInitializer extends Zeros {
  /** @nocollapse */
  static override className = 'TfjsRnnLoadedInitializer';

  constructor(
    /** The stored initializer's class name ('GlorotUniform', 'Orthogonal', …). */
    readonly storedClassName: string,
    /** Its stored config. */
    readonly storedConfig: ConfigDict,
  ) {
    super();
  }

  override getClassName(): string {
    return building > 0 ? LoadedInitializer.className : this.storedClassName;
  }

  override getConfig(): ConfigDict {
    return building > 0 ? { className: this.storedClassName, config: this.storedConfig } : this.storedConfig;
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(_cls: tf.serialization.SerializableConstructor<T>, config: ConfigDict): T {
    const stored = (config.className ?? 'Zeros') as string;
    return new LoadedInitializer(stored, (config.config ?? {}) as ConfigDict) as unknown as T;
  }
}
tf.serialization.registerClass(LoadedInitializer);

/** A stored initializer `{class_name, config}` (or a bare name) as the config of a LoadedInitializer. */
export function loadedInitializer(stored: unknown): { class_name: string; config: { class_name: string; config: unknown } } | unknown {
  if (stored === null || stored === undefined) return stored;
  if (typeof stored === 'string') return { class_name: LoadedInitializer.className, config: { class_name: stored, config: {} } };
  const s = stored as { class_name?: unknown; config?: unknown };
  if (typeof s.class_name !== 'string') return stored;
  return { class_name: LoadedInitializer.className, config: { class_name: s.class_name, config: s.config ?? {} } };
}
