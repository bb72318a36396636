/**
 * Helpers for the float64 reference tests: seeded float64 data, the finite-difference check of a
 * set of gradients, and the guard that keeps finite differences away from an activation's kinks.
 */
import { finiteDifferenceGrad } from '../src/reference/shared';
import { relErr, seededArray } from './helpers';

/**
 * The central-difference step. Its error is round-off, ~1e-16·|L| / step, plus truncation,
 * ~step²·|L'''|; 1e-5 balances the two for these problems (worst relErr ~5e-9 against ~3e-8 at
 * 1e-6 and 1e-4).
 */
export const FD_STEP = 1e-5;
/** Each suite prints its worst error; this bound sits a few times above it. */
export const FD_TOLERANCE = 3e-8;
/** Finite differences across a kink would be meaningless: every kinked argument stays this far from it. */
export const KINK_MARGIN = 1e-3;
/** A gradient whose largest entry is below this is not worth checking: the test would prove nothing. */
export const MIN_GRADIENT = 1e-3;

/** n seeded uniform float64 numbers in [lo, hi). */
export function f64(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from(seededArray(n, seed, lo, hi));
}

/** For each argument given: the largest |∂L/∂arg| and the relErr of the analytic gradient against central differences. */
export function gradientErrors<A extends { [name: string]: Float64Array | undefined }>(
  args: A,
  loss: (args: A) => number,
  analytic: Partial<Record<keyof A & string, Float64Array | null>>,
): Array<{ name: string; err: number; largest: number }> {
  return Object.entries(args).flatMap(([name, value]) => {
    if (value === undefined) return [];
    const numeric = finiteDifferenceGrad((p) => loss({ ...args, [name]: p }), value, FD_STEP);
    const a = analytic[name as keyof A & string];
    if (!a) throw new Error(`expected an analytic gradient for ${name}, got ${String(a)}`);
    return [{ name, err: relErr(a, numeric), largest: Math.max(...Array.from(numeric, Math.abs)) }];
  });
}

/** A generated test problem's sizes and draws. */
export interface ProblemConfig {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  bias: boolean;
  /** Initial states given (else null: zeros). */
  initial: boolean;
  /** Input and kernel scale; with hardSigmoid large enough that some gates clip, so that branch is checked. */
  drive: number;
  seed: number;
}

/**
 * Seeded draws for a problem with G gates: x [B, T, D] in ±drive, kernel [D, G·H] in ±0.8·drive,
 * recurrentKernel [H, G·H] in ±0.6, a bias of biasSize values in ±0.5 (or null), h0 [B, H] (or null).
 */
export function drawProblem(c: ProblemConfig, gates: number, biasSize: number) {
  const { B, T, D, H, seed } = c;
  return {
    x: f64(B * T * D, seed + 1, -c.drive, c.drive),
    shape: { B, T, D },
    weights: {
      kernel: f64(D * gates * H, seed + 2, -0.8 * c.drive, 0.8 * c.drive),
      recurrentKernel: f64(H * gates * H, seed + 3, -0.6, 0.6),
      bias: c.bias ? f64(biasSize, seed + 4, -0.5, 0.5) : null,
      H,
    },
    h0: c.initial ? f64(B * H, seed + 5) : null,
  };
}

interface Weights {
  kernel: Float64Array;
  recurrentKernel: Float64Array;
  bias: Float64Array | null;
}

/** The weights and the input as arguments for gradientErrors (bias only when there is one). */
export function weightArgs(w: Weights, x: Float64Array): { kernel: Float64Array; recurrentKernel: Float64Array; bias?: Float64Array; input: Float64Array } {
  return { kernel: w.kernel, recurrentKernel: w.recurrentKernel, ...(w.bias === null ? {} : { bias: w.bias }), input: x };
}

/** `w` with the weights of `args` (as weightArgs names them) in place of its own. */
export function withWeights<W extends Weights>(w: W, args: { kernel: Float64Array; recurrentKernel: Float64Array; bias?: Float64Array }): W {
  return { ...w, kernel: args.kernel, recurrentKernel: args.recurrentKernel, bias: args.bias ?? null };
}

/** The smallest distance from any of `values` to any of `kinks` (Infinity when there are no kinks). */
export function distanceToKinks(values: ArrayLike<number>, kinks: number[]): number {
  let nearest = Infinity;
  for (let i = 0; i < values.length; i++) for (const k of kinks) nearest = Math.min(nearest, Math.abs(values[i] - k));
  return nearest;
}

/** Non-empty subsets of `names`, e.g. [a], [b], [a, b]. */
export function nonEmptySubsets<T>(names: T[]): T[][] {
  const subsets: T[][] = [];
  for (let mask = 1; mask < 1 << names.length; mask++) subsets.push(names.filter((_, i) => mask & (1 << i)));
  return subsets;
}

/**
 * A suite's finite-difference check: `expectGradients` asserts every analytic gradient against
 * central differences (and that each is large enough to prove something); the suite prints its
 * worst error once, for the proof report.
 */
export function finiteDifferenceSuite(title: string): {
  expectGradients: <A extends { [name: string]: Float64Array | undefined }>(
    label: string,
    args: A,
    loss: (args: A) => number,
    analytic: Partial<Record<keyof A & string, Float64Array | null>>,
  ) => void;
} {
  const worst = new Map<string, number>();
  afterAll(() => {
    const max = Math.max(...worst.values());
    console.log(`${title}: max relErr ${max.toExponential(2)} over ${worst.size} gradients`);
  });
  return {
    expectGradients(label, args, loss, analytic) {
      for (const { name, err, largest } of gradientErrors(args, loss, analytic)) {
        worst.set(`${label} ${name}`, err);
        expect(largest).toBeGreaterThan(MIN_GRADIENT);
        expect(err).toBeLessThan(FD_TOLERANCE);
      }
    },
  };
}

/**
 * Keeps finite differences meaningful: with hardSigmoid, the gate pre-activations (every column
 * block but `candidate` of the `gates` blocks of H) stay clear of ±2.5, and some clip while some do
 * not, so both branches are checked; with relu, the candidate pre-activations stay clear of 0 and
 * some are cut.
 */
export function expectKinksAvoided(
  preActivations: Float64Array,
  H: number,
  gates: number,
  candidate: number,
  options: { activation?: string; recurrentActivation?: string },
): void {
  const block = (k: number): number => Math.floor(k / H) % gates;
  if (options.recurrentActivation === 'hardSigmoid') {
    const gatePre = preActivations.filter((_, k) => block(k) !== candidate);
    expect(distanceToKinks(gatePre, [-2.5, 2.5])).toBeGreaterThan(KINK_MARGIN);
    expect(gatePre.some((a) => Math.abs(a) > 2.5)).toBe(true);
    expect(gatePre.some((a) => Math.abs(a) < 2.5)).toBe(true);
  }
  if (options.activation === 'relu') {
    const candidatePre = preActivations.filter((_, k) => block(k) === candidate);
    expect(distanceToKinks(candidatePre, [0])).toBeGreaterThan(KINK_MARGIN);
    expect(candidatePre.some((a) => a < 0)).toBe(true);
  }
}
