/** The benchmark shapes: batch B, time steps T, input features D, units H. */

export interface ShapeSpec {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
}

/**
 * S1: one sequence through a small cell (per-kernel overhead is all there is); S2: the sentiment
 * task's model (`npm run train -- --task sentiment`); S3, S4: sizes where matMul speed decides;
 * S5: the small gated-cell shape, where per-op overhead still rules. SimpleRNN runs S1–S4 by
 * default, the gated cells S5 and S3.
 */
export const SHAPES: Readonly<Record<string, ShapeSpec>> = {
  S1: { name: 'S1', B: 1, T: 100, D: 32, H: 64 },
  S2: { name: 'S2', B: 32, T: 250, D: 32, H: 100 },
  S3: { name: 'S3', B: 64, T: 100, D: 128, H: 256 },
  S4: { name: 'S4', B: 256, T: 50, D: 256, H: 512 },
  S5: { name: 'S5', B: 32, T: 50, D: 64, H: 128 },
};

/** A named shape (S1..S5, any case) or a custom one written like B32xT250xD32xH100. */
export function parseShape(spec: string): ShapeSpec {
  const named = SHAPES[spec.toUpperCase()];
  if (named) return named;
  const m = /^B(\d+)xT(\d+)xD(\d+)xH(\d+)$/i.exec(spec);
  const names = Object.keys(SHAPES);
  if (!m) throw new Error(`expected a shape ${names[0]}..${names[names.length - 1]} or like B32xT250xD32xH100, got '${spec}'`);
  const [B, T, D, H] = m.slice(1).map(Number);
  if ([B, T, D, H].some((n) => n < 1)) throw new Error(`expected positive sizes in '${spec}'`);
  return { name: `B${B}xT${T}xD${D}xH${H}`, B, T, D, H };
}
