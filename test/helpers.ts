/**
 * Shared test helpers: closeness measures, seeded data, leak checks, and the list of backends the
 * core proofs run on.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';

export { relErr } from '../src/reference/rel_err';
import { relErr } from '../src/reference/rel_err';

/**
 * relErr of two tensors of the same shape (asserts the shapes agree). Async: webgpu under Node
 * has no synchronous read (dataSync), so every proof reads with `await data()`.
 */
export async function tensorRelErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  return relErr(await a.data(), await b.data());
}

export { seededArray, seededTensor } from '../src/seeded';

/** Runs fn and asserts the number of live tensors is unchanged afterwards. */
export async function expectNoLeak(fn: () => void | Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}

/**
 * Backends the core proofs run on: cpu and wasm always; webgpu too in CI (CI=true, where
 * .ci/run installs lavapipe and an unavailable adapter must fail the run) or when
 * TFJS_RNN_TEST_WEBGPU=1. TFJS_RNN_TEST_BACKENDS=cpu,wasm overrides the list.
 */
export function backendsUnderTest(): string[] {
  if (process.env.TFJS_RNN_TEST_BACKENDS) {
    return process.env.TFJS_RNN_TEST_BACKENDS.split(',').map((s) => s.trim()).filter(Boolean);
  }
  const list = ['cpu', 'wasm'];
  if (process.env.TFJS_RNN_TEST_WEBGPU === '1' || process.env.CI === 'true') list.push('webgpu');
  return list;
}

/**
 * Switches the tests to a backend. On webgpu, tfjs would otherwise run ops on small inputs that
 * are still in CPU memory on the CPU (WEBGPU_CPU_FORWARD): the proofs must run on the GPU.
 */
export async function useBackend(name: string): Promise<void> {
  await initBackend(name);
  if (name === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
}

/**
 * A fused loop's loss and gradients (of x, W, U, b, h0, in that order in `auto`) against tfjs
 * autodiff of the same masked plain loop: each within 1e-5 relative; throws naming the first that is not.
 */
export async function expectLoopLikeAutodiff(
  g: { input: tf.Tensor; kernel: tf.Tensor; recurrentKernel: tf.Tensor; bias: tf.Tensor | null; initialState: tf.Tensor },
  got: tf.Tensor,
  want: tf.Tensor,
  auto: tf.Tensor[],
): Promise<void> {
  const pairs: Array<[string, tf.Tensor, tf.Tensor]> = [
    ['loss', got, want], ['input', g.input, auto[0]], ['kernel', g.kernel, auto[1]], ['recurrentKernel', g.recurrentKernel, auto[2]],
    ['bias', g.bias!, auto[3]], ['initialState', g.initialState, auto[4]],
  ];
  for (const [name, a, e] of pairs) {
    const err = relErr(await a.data(), await e.data());
    if (!(err <= 1e-5)) throw new Error(`${name}: relative error ${err} > 1e-5`);
  }
}
