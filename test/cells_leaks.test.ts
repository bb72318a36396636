/**
 * Every cell (SimpleRNN with each of its activations, LSTM, GRU in both forms), on every backend
 * under test: 30 forward + backward + tape.dispose() passes (initial states given or not, upstream
 * on the final states or not, state gradients asked for or not: 30 passes take every combination of
 * the three) leave numTensors unchanged, and disposing a tape twice is harmless; cell.weightGradients gives exactly
 * backward()'s weight gradients (bit for bit), without ∂x and the initial states, and leaks nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { AnyCell, CELL_CASES, CaseOptions, DEFAULTS } from './cell_cases';
import type { RNNTape } from '../src';
import { backendsUnderTest, expectNoLeak, seededTensor, tensorRelErr, useBackend } from './helpers';

/** backward and weightGradients as every cell has them; upstream names as the cell's backward takes them. */
interface Backward {
  backward(tape: RNNTape, upstream: Record<string, tf.Tensor | undefined>, options?: { returnStateGradients?: boolean }): Record<string, tf.Tensor | null | undefined>;
  weightGradients(tape: RNNTape, upstream: Record<string, tf.Tensor | undefined>): Record<string, tf.Tensor | null>;
}
const manual = (cell: AnyCell): Backward => cell as unknown as Backward;
const UPSTREAM_NAMES = ['dLast', 'dLastCell'];

/** Every tensor among a result's values. */
const tensorsOf = (r: Record<string, unknown>): tf.Tensor[] => Object.values(r).filter((t): t is tf.Tensor => t instanceof tf.Tensor);

/** The cases with their options: SimpleRNN once per activation (its only option), the gated cells at their defaults. */
const RUNS = CELL_CASES.flatMap((c) =>
  (c.kind === 'simple' ? (['tanh', 'relu', 'linear'] as const) : (['tanh'] as const)).map((activation) => {
    const o: CaseOptions = { ...DEFAULTS, activation };
    return [`${c.label} ${activation}`, c, o] as const;
  }),
);

describe.each(backendsUnderTest())('no leaks, and weightGradients = backward, on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  test.each(RUNS)('%s: 30 passes of forward/backward/dispose leak nothing', async (_label, c, o) => {
    const [B, T, D, H] = [3, 7, 4, 6];
    const cell = c.make(D, H, 5, o);
    const x = seededTensor([B, T, D], 6);
    const initial = Array.from({ length: c.states }, (_, k) => seededTensor([B, H], 7 + k));
    await expectNoLeak(async () => {
      for (let i = 0; i < 30; i++) {
        const fwd = c.forward(cell, x, i % 2 === 0 ? initial : []);
        // Upstream on the sequence always; on each final state every third pass.
        const upstream: Record<string, tf.Tensor | undefined> = { dSequence: fwd.sequence };
        fwd.last.forEach((s, k) => (upstream[UPSTREAM_NAMES[k]] = i % 3 === 0 ? s : undefined));
        const g = manual(cell).backward(fwd.tape, upstream, { returnStateGradients: i % 5 === 0 });
        expect(g.state !== undefined).toBe(i % 5 === 0);
        fwd.tape.dispose();
        fwd.tape.dispose(); // idempotent
        tf.dispose([fwd.sequence, ...fwd.last, ...tensorsOf(g)]);
      }
    });
    tf.dispose([x, ...initial]);
    cell.dispose();
  });

  test.each(RUNS)('%s: weightGradients equals backward() bit for bit, leaks nothing', async (_label, c, o) => {
    await expectNoLeak(async () => {
      const [B, T, D, H] = [4, 9, 5, 7];
      const cell = c.make(D, H, 71, o);
      const x = seededTensor([B, T, D], 72, -0.5, 0.5);
      const dSeq = seededTensor([B, T, H], 73);
      const fwd = c.forward(cell, x, []);
      const upstream: Record<string, tf.Tensor | undefined> = { dSequence: dSeq };
      fwd.last.forEach((s, k) => (upstream[UPSTREAM_NAMES[k]] = s));
      const full = manual(cell).backward(fwd.tape, upstream);
      const weights = manual(cell).weightGradients(fwd.tape, upstream);
      expect(Object.keys(weights).sort()).toEqual(['bias', 'kernel', 'recurrentKernel']);
      for (const name of ['kernel', 'recurrentKernel', 'bias']) {
        expect(await tensorRelErr(weights[name] as tf.Tensor, full[name] as tf.Tensor)).toBe(0);
      }
      tf.dispose([x, dSeq, fwd.sequence, ...fwd.last, ...tensorsOf(full), ...tensorsOf(weights)]);
      fwd.tape.dispose();
      cell.dispose();
    });
  });
});
