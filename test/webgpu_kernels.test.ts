/**
 * Every op the SimpleRNN cell runs (forward and manual BPTT) agrees with the cpu backend on webgpu,
 * executed on the GPU (WEBGPU_CPU_FORWARD off), including the gradients tf.grad takes through them.
 */
import * as tf from '@tensorflow/tfjs';
import { assertNoWebGPUErrors } from '../src/platform/webgpu/errors';
import { expectNoLeak, relErr, seededArray } from './helpers';
import { onCpu, webgpuGate } from './webgpu_gate';

const gate = webgpuGate(__filename);
afterAll(async () => {
  if (gate.info) await assertNoWebGPUErrors();
});

const B = 4, T = 3, D = 5, H = 6;
const x = () => tf.tensor3d(seededArray(T * B * D, 1), [T, B, D]); // [T, B, D]
const W = () => tf.tensor2d(seededArray(D * H, 2), [D, H]); // [D, H]
const U = () => tf.tensor2d(seededArray(H * H, 3), [H, H]); // [H, H]
const h = () => tf.tensor2d(seededArray(B * H, 4), [B, H]); // [B, H]
const p = () => tf.tensor2d(seededArray(B * H, 5), [B, H]); // [B, H]
const b = () => tf.tensor1d(seededArray(H, 6)); // [H]

/** Each case builds its inputs from seeded arrays, so it runs the same on cpu and on webgpu. */
const cases: [string, () => tf.Tensor][] = [
  ['matMul', () => tf.matMul(h(), U())],
  ['matMul transposeA', () => tf.matMul(h(), p(), true, false)],
  ['matMul 64x64', () => tf.matMul(tf.tensor2d(seededArray(4096, 7), [64, 64]), tf.tensor2d(seededArray(4096, 8), [64, 64]))],
  ['input projection [T·B, D]·W + b', () => tf.fused.matMul({ a: tf.reshape(x(), [T * B, D]), b: W(), bias: b() })],
  ['fused matMul + [B,H] bias', () => tf.fused.matMul({ a: h(), b: U(), bias: p() })],
  ['fused matMul + [H] bias', () => tf.fused.matMul({ a: h(), b: U(), bias: b() })],
  ['fused matMul + bias + relu', () => tf.fused.matMul({ a: h(), b: U(), bias: p(), activation: 'relu' })],
  ['tanh', () => tf.tanh(p())],
  ['relu', () => tf.relu(p())],
  ['step', () => tf.step(p())],
  ['gather', () => tf.gather(x(), [1], 0)],
  ['concat', () => tf.concat([x(), x()], 0)],
  ['stack', () => tf.stack([h(), p(), h()])],
  ['slice', () => tf.slice(x(), [1, 0, 0], [1, B, D])],
  ['transpose', () => tf.transpose(x(), [1, 0, 2])],
  ['reshape', () => tf.reshape(x(), [T * B, D])],
  ['sum axis 0', () => tf.sum(tf.reshape(x(), [T * B, D]), 0)],
  ['sum all', () => tf.sum(x())],
  ['mul', () => tf.mul(h(), p())],
  ['sub', () => tf.sub(h(), p())],
  ['add broadcast', () => tf.add(h(), b())],
  ['square', () => tf.square(p())],
  ['expandDims + clone', () => tf.clone(tf.expandDims(h(), 0))],
  ['zeros', () => tf.add(tf.zeros([B, H]), h())],
  [
    'grad of sum(tanh(h·U + p)) wrt U',
    () => tf.grad((u: tf.Tensor) => tf.sum(tf.tanh(tf.add(tf.matMul(h(), u as tf.Tensor2D), p()))))(U()),
  ],
  [
    'grad of sum(relu(h·U + p)²) wrt h',
    () => tf.grad((hh: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.add(tf.matMul(hh as tf.Tensor2D, U()), p())))))(h()),
  ],
];

gate.gpuTest.each(cases)('%s agrees with cpu', async (_, fn) => {
  const expected = await onCpu(fn);
  await expectNoLeak(async () => {
    const y = tf.tidy(fn);
    const got = (await y.data()) as Float32Array;
    y.dispose();
    expect(got.length).toBe(expected.length);
    expect(relErr(got, expected)).toBeLessThan(1e-5);
  });
});
