/**
 * Proof 4, golden numbers from PyTorch: the tfjs LSTM and GRU (resetAfter: true, the form torch
 * has) reproduce nn.LSTM's and nn.GRU's float64 forward values and gradients
 * (test/fixtures/torch_*.json; scripts/make_torch_fixtures.py wrote them, the command and torch
 * version are in each file), with the weights brought in, and the gradients taken out, through the
 * PyTorch layout converters. Within float32 tolerance, on every backend under test.
 */
import * as tf from '@tensorflow/tfjs';
import { GRU, LSTM, gruKerasToPytorch, gruPytorchToKeras, lstmPytorchToKeras } from '../src';
import { backendsUnderTest, expectNoLeak, relErr, useBackend } from './helpers';
import { flatten as flat, loadTorchFixture, Nested, TorchCase } from './torch_fixtures';

const load = (name: string): TorchCase[] => loadTorchFixture(name).cases;
const t3 = (v: Nested, B: number, T: number, K: number) => tf.tensor3d(flat(v), [B, T, K]);
const t2 = (v: Nested, B: number, K: number) => tf.tensor2d(flat(v), [B, K]);
/** float32 against float64: gentle cases ~1e-7; the strongly driven T30 case amplifies round-off. */
const tolerance = (c: TorchCase) => (c.T >= 30 ? 1e-4 : 1e-5);
let worst = 0;

async function expectClose(pairs: Array<[string, tf.Tensor, Nested]>, tol: number): Promise<void> {
  for (const [name, ours, theirs] of pairs) {
    const e = relErr(await ours.data(), flat(theirs));
    worst = Math.max(worst, e);
    if (!(e <= tol)) throw new Error(`${name}: relative error ${e.toExponential(2)} > ${tol}`);
  }
}

describe.each(backendsUnderTest())('tfjs cells vs PyTorch on %s', (backendName) => {
  beforeAll(async () => {
    await useBackend(backendName);
  });

  test.each(load('torch_lstm.json').map((c) => [c.name, c] as const))('nn.LSTM %s', async (_n, c) => {
    await expectNoLeak(async () => {
      const { B, T, D, H } = c;
      const keras = lstmPytorchToKeras(c.weights as never);
      const cell = new LSTM({ inputDim: D, units: H, useBias: c.bias, seed: 1 });
      cell.setWeights(keras.bias === null ? [keras.kernel, keras.recurrentKernel] : [keras.kernel, keras.recurrentKernel, keras.bias]);
      const x = t3(c.input, B, T, D);
      const [h0, c0] = [c.h0, c.c0 ?? null].map((s) => (s === null ? null : t2(s, B, H)));
      const up = { dSequence: t3(c.upstream.dSequence, B, T, H), dLast: t2(c.upstream.dLast, B, H), dLastCell: t2(c.upstream.dLastCell, B, H) };
      const o = cell.forward(x, h0, c0);
      const g = cell.backward(o.tape, up);
      // Keras → PyTorch for the gradients: kernelᵀ, recurrentKernelᵀ; both torch biases have ∂ = ∂bias.
      const pairs: Array<[string, tf.Tensor, Nested]> = [
        ['output', o.sequence, c.forward.output],
        ['h_n', o.last, c.forward.h_n],
        ['c_n', o.lastCell, c.forward.c_n],
        ['input gradient', g.input, c.gradients.input],
      ];
      const gk = tf.transpose(g.kernel);
      const gu = tf.transpose(g.recurrentKernel);
      pairs.push(['weight_ih_l0 gradient', gk, c.gradients.weight_ih_l0], ['weight_hh_l0 gradient', gu, c.gradients.weight_hh_l0]);
      if (c.bias) pairs.push(['bias_ih_l0 gradient', g.bias!, c.gradients.bias_ih_l0], ['bias_hh_l0 gradient', g.bias!, c.gradients.bias_hh_l0]);
      if (h0 !== null) pairs.push(['h0 gradient', g.initialState, c.gradients.h0], ['c0 gradient', g.initialCell, c.gradients.c0]);
      await expectClose(pairs, tolerance(c));
      tf.dispose([keras.kernel, keras.recurrentKernel, x, o.sequence, o.last, o.lastCell, g.kernel, g.recurrentKernel, g.input, g.initialState, g.initialCell, gk, gu, ...Object.values(up)] as tf.Tensor[]);
      tf.dispose(([keras.bias, g.bias, h0, c0] as Array<tf.Tensor | null>).filter((t): t is tf.Tensor => t !== null));
      o.tape.dispose();
      cell.dispose();
    });
  });

  test.each(load('torch_gru.json').map((c) => [c.name, c] as const))('nn.GRU %s (resetAfter: true)', async (_n, c) => {
    await expectNoLeak(async () => {
      const { B, T, D, H } = c;
      const keras = gruPytorchToKeras(c.weights as never);
      const cell = new GRU({ inputDim: D, units: H, useBias: c.bias, resetAfter: true, seed: 1 });
      cell.setWeights(keras.bias === null ? [keras.kernel, keras.recurrentKernel] : [keras.kernel, keras.recurrentKernel, keras.bias]);
      const x = t3(c.input, B, T, D);
      const h0 = c.h0 === null ? null : t2(c.h0, B, H);
      const up = { dSequence: t3(c.upstream.dSequence, B, T, H), dLast: t2(c.upstream.dLast, B, H) };
      const o = cell.forward(x, h0);
      const g = cell.backward(o.tape, up);
      const torch = gruKerasToPytorch({ kernel: g.kernel, recurrentKernel: g.recurrentKernel, bias: g.bias }, { resetAfter: true });
      const pairs: Array<[string, tf.Tensor, Nested]> = [
        ['output', o.sequence, c.forward.output],
        ['h_n', o.last, c.forward.h_n],
        ['input gradient', g.input, c.gradients.input],
        ['weight_ih_l0 gradient', torch.weight_ih_l0, c.gradients.weight_ih_l0],
        ['weight_hh_l0 gradient', torch.weight_hh_l0, c.gradients.weight_hh_l0],
      ];
      if (c.bias) pairs.push(['bias_ih_l0 gradient', torch.bias_ih_l0!, c.gradients.bias_ih_l0], ['bias_hh_l0 gradient', torch.bias_hh_l0!, c.gradients.bias_hh_l0]);
      if (h0 !== null) pairs.push(['h0 gradient', g.initialState, c.gradients.h0]);
      await expectClose(pairs, tolerance(c));
      tf.dispose([keras.kernel, keras.recurrentKernel, x, o.sequence, o.last, g.kernel, g.recurrentKernel, g.input, g.initialState, ...Object.values(up)]);
      tf.dispose([keras.bias, g.bias, h0, torch.weight_ih_l0, torch.weight_hh_l0, torch.bias_ih_l0, torch.bias_hh_l0].filter((t): t is tf.Tensor => t != null));
      o.tape.dispose();
      cell.dispose();
    });
  });
});

afterAll(() => {
  console.log(`tfjs cells vs PyTorch fixtures: largest relative error ${worst.toExponential(2)}`);
});
