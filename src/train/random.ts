/**
 * A seeded random stream whose state can be saved and restored exactly (seedrandom's ARC4 with
 * {state: true}): the data generators draw from it, and a checkpoint stores its state so a resumed
 * run sees the same batches as the run it continues.
 */
import seedrandom from 'seedrandom';

export type RngState = seedrandom.State.Arc4;

export class Rng {
  private prng: seedrandom.StatefulPRNG<RngState>;

  constructor(seed: string | number, state?: RngState) {
    this.prng = state === undefined ? seedrandom(String(seed), { state: true }) : seedrandom('', { state });
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.prng();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.prng();
    const v = this.prng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  state(): RngState {
    return this.prng.state();
  }
}
