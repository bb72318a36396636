/** Making a registered tfjs backend the active one, with tfjs's failure warnings as the reason. */
import * as tf from '@tensorflow/tfjs';
import { firstLine } from '../text';

/**
 * tfjs reports a failed backend initialisation only through console.warn; capture those lines so
 * the reason ends up in our Error instead of scrolling past.
 */
async function captureWarnings<T>(fn: () => Promise<T>): Promise<{ ok: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  try {
    return { ok: await fn(), warnings };
  } finally {
    console.warn = original;
  }
}

export async function activate(name: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { ok, warnings } = await captureWarnings(() => tf.setBackend(name));
  if (ok && tf.getBackend() === name) {
    for (const w of warnings) console.warn(w); // not a failure: pass them on
    await tf.ready();
    return { ok: true };
  }
  const reason = warnings.length > 0
    ? warnings.map((w) => firstLine(w)).join(' | ')
    : `tf.setBackend('${name}') returned false`;
  return { ok: false, reason };
}
