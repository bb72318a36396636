/**
 * Backend selection: the auto order (with fake loaders: no GPU here), no silent fallback for a
 * backend asked for by name, and the real cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER } from '../src/platform/backend/names';
import { initBackend, summarizeBackend } from '../src/platform/backend/select';
import type { CandidateId, CandidateLoader, LoadOutcome } from '../src/platform/backend/types';
import { packageInfo } from '../src/platform/system';
import { expectNoLeak } from './helpers';

/** Fake loaders: the listed candidates succeed, the others fail with a reason naming them. */
function fakeLoaders(working: CandidateId[], calls: string[]): Record<CandidateId, CandidateLoader> {
  const out = {} as Record<CandidateId, CandidateLoader>;
  for (const c of AUTO_ORDER) {
    out[c] = async (mode): Promise<LoadOutcome> => {
      calls.push(`${c}:${mode}`);
      return working.includes(c)
        ? { ok: true, package: `pkg-${c}`, version: '9.9.9', details: { fake: true } }
        : { ok: false, package: `pkg-${c}`, reason: `${c} is broken`, fix: `fix ${c}` };
    };
  }
  return out;
}

describe('auto-selection order', () => {
  it('tries tensorflow-gpu, webgpu, tensorflow-cpu, wasm, cpu and stops at the first that works', async () => {
    const calls: string[] = [];
    const info = await initBackend('auto', { loaders: fakeLoaders(['wasm', 'cpu'], calls) });
    expect(calls).toEqual(['tensorflow-gpu:auto', 'webgpu:auto', 'tensorflow-cpu:auto', 'wasm:auto']);
    expect(info.backend).toBe('wasm');
    expect(info.requested).toBe('auto');
    expect(info.attempts.map((a) => [a.candidate, a.ok, a.reason])).toEqual([
      ['tensorflow-gpu', false, 'tensorflow-gpu is broken'],
      ['webgpu', false, 'webgpu is broken'],
      ['tensorflow-cpu', false, 'tensorflow-cpu is broken'],
      ['wasm', true, undefined],
    ]);
    expect(info.summary).toContain('backend wasm (pkg-wasm 9.9.9');
    expect(info.summary).toContain('skipped tensorflow-gpu: tensorflow-gpu is broken');
  });

  it('prefers CUDA tensorflow over everything, and hardware webgpu over tensorflow on the CPU', async () => {
    const calls: string[] = [];
    expect((await initBackend('auto', { loaders: fakeLoaders([...AUTO_ORDER], calls) })).attempts).toHaveLength(1);
    expect(calls).toEqual(['tensorflow-gpu:auto']);
    const info = await initBackend('auto', { loaders: fakeLoaders(['webgpu', 'tensorflow-cpu', 'cpu'], []) });
    expect(info.backend).toBe('webgpu');
  });

  it('reads TFJS_RNN_BACKEND when no request is given', async () => {
    const calls: string[] = [];
    const info = await initBackend(undefined, { loaders: fakeLoaders(['cpu'], calls), env: { TFJS_RNN_BACKEND: 'cpu' } });
    expect(info.requested).toBe('cpu');
    expect(calls).toEqual(['cpu:requested']);
  });

  it('a loader that throws counts as a skip with its message', async () => {
    const loaders = fakeLoaders(['cpu'], []);
    loaders.webgpu = async () => {
      throw new Error('dawn exploded');
    };
    const info = await initBackend('auto', { loaders });
    expect(info.attempts.find((a) => a.candidate === 'webgpu')?.reason).toBe('dawn exploded');
  });
});

describe('the summary', () => {
  it('gives every skipped candidate\'s reason in full, however long', () => {
    const reason = 'only a software adapter (Mesa 25.0.7-2~bpo12+1), used only when asked for by name (--backend webgpu)';
    const summary = summarizeBackend({
      backend: 'wasm', package: 'pkg-wasm', version: '9.9.9', details: { simd: true, threads: false }, requested: 'auto',
      attempts: [
        { candidate: 'webgpu', backend: 'webgpu', package: 'pkg-webgpu', ok: false, reason: `${reason}\nsecond line` },
        { candidate: 'wasm', backend: 'wasm', package: 'pkg-wasm', ok: true },
      ],
    });
    expect(summary).toBe(`backend wasm (pkg-wasm 9.9.9; SIMD on, threads off) [auto; skipped webgpu: ${reason}]`);
  });
});

describe('a backend asked for by name', () => {
  it('throws with the reason and the fix, and does not fall back', async () => {
    const calls: string[] = [];
    const failing = initBackend('webgpu', { loaders: fakeLoaders(['wasm', 'cpu'], calls) });
    await expect(failing).rejects.toThrow(/backend 'webgpu' was requested but cannot run here/);
    await expect(initBackend('webgpu', { loaders: fakeLoaders(['cpu'], []) })).rejects.toThrow(
      /webgpu is broken\n\s+fix: fix webgpu/,
    );
    expect(calls).toEqual(['webgpu:requested']);
  });

  it('tensorflow tries the GPU package, then tensorflow on the CPU, and says which', async () => {
    const calls: string[] = [];
    const info = await initBackend('tensorflow', { loaders: fakeLoaders(['tensorflow-cpu'], calls) });
    expect(calls).toEqual(['tensorflow-gpu:requested', 'tensorflow-cpu:requested']);
    expect(info.backend).toBe('tensorflow');
    expect(info.attempts[0]).toMatchObject({ candidate: 'tensorflow-gpu', ok: false, reason: 'tensorflow-gpu is broken' });
  });

  it('real tensorflow: runs and reports CUDA, or fails naming the packages and the install fix', async () => {
    const installed = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((p) => packageInfo(p) !== undefined);
    const result = await initBackend('tensorflow').then((info) => info, (e: Error) => e);
    if (result instanceof Error) {
      expect(result.message).toContain("backend 'tensorflow' was requested but cannot run here");
      expect(result.message).toContain('@tensorflow/tfjs-node-gpu');
      if (!installed) {
        expect(result.message).toContain('@tensorflow/tfjs-node-gpu): not installed');
        expect(result.message).toContain('@tensorflow/tfjs-node): not installed');
        expect(result.message).toContain('TFJS_NODE_CDN_STORAGE');
        expect(result.message).toContain('CUDA 11.2 and cuDNN 8.1');
      }
    } else {
      // A machine where the optional package installed: it must say whether CUDA is in use.
      expect(installed).toBe(true);
      expect(result.backend).toBe('tensorflow');
      expect(typeof result.details.cudaInUse).toBe('boolean');
      await initBackend('cpu');
    }
  });
});

describe('real backends', () => {
  it('cpu initialises and says so', async () => {
    const info = await initBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info).toMatchObject({ backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: tf.version.tfjs });
    expect(info.summary).toMatch(/^backend cpu \(@tensorflow\/tfjs-backend-cpu 4\.22\.\d+; plain JavaScript\) \[requested 'cpu'\]$/);
  });

  it('wasm initialises, finds its .wasm files, and reports SIMD and threads', async () => {
    const info = await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.package).toBe('@tensorflow/tfjs-backend-wasm');
    expect(typeof info.details.simd).toBe('boolean');
    // tfjs-backend-wasm 4.22 turns threads off under Node; the info must say so and why.
    expect(info.details.threads).toBe(false);
    expect(String(info.details.threadsNote)).toContain('tfjs#3830');
    await expectNoLeak(async () => {
      const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])));
      expect(Array.from(await y.data())).toEqual([19, 22, 43, 50]);
      y.dispose();
    });
  });
});
