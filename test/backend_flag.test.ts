/**
 * Naming a backend: the --backend flag, TFJS_RNN_BACKEND, and the error for an unknown name.
 */
import { backendFlagFromArgv, initBackendFromArgv, withoutBackendFlag } from '../src/platform/backend/cli';
import { parseBackendName, resolveBackendRequest } from '../src/platform/backend/names';

describe('backend names', () => {
  it('accepts every backend name and auto, in any case', () => {
    expect(parseBackendName('tensorflow')).toBe('tensorflow');
    expect(parseBackendName('WebGPU')).toBe('webgpu');
    expect(parseBackendName(' wasm ')).toBe('wasm');
    expect(parseBackendName('cpu')).toBe('cpu');
    expect(parseBackendName('auto')).toBe('auto');
  });

  it('rejects an unknown name, listing the valid ones', () => {
    expect(() => parseBackendName('cuda')).toThrow(
      "unknown backend 'cuda': expected one of tensorflow, webgpu, wasm, cpu, or auto",
    );
  });
});

describe('--backend flag', () => {
  it('reads --backend NAME and --backend=NAME; the last one wins', () => {
    expect(backendFlagFromArgv(['--epochs', '3', '--backend', 'wasm'])).toBe('wasm');
    expect(backendFlagFromArgv(['--backend=cpu'])).toBe('cpu');
    expect(backendFlagFromArgv(['--backend', 'wasm', '--backend=cpu'])).toBe('cpu');
  });

  it('is undefined when absent', () => {
    expect(backendFlagFromArgv(['--epochs', '3'])).toBeUndefined();
  });

  it('says what is wrong with a missing or unknown value', () => {
    expect(() => backendFlagFromArgv(['--backend'])).toThrow('--backend: expected a name');
    expect(() => backendFlagFromArgv(['--backend', '--json'])).toThrow('--backend: expected a name');
    expect(() => backendFlagFromArgv(['--backend', 'gpu'])).toThrow(
      "--backend: unknown backend 'gpu': expected one of tensorflow, webgpu, wasm, cpu, or auto",
    );
  });

  it('can be removed from argv for scripts that parse the rest', () => {
    expect(withoutBackendFlag(['a', '--backend', 'wasm', 'b', '--backend=cpu', 'c'])).toEqual(['a', 'b', 'c']);
  });
});

describe('request precedence', () => {
  it('flag, then TFJS_RNN_BACKEND, then auto', () => {
    expect(resolveBackendRequest('cpu', { TFJS_RNN_BACKEND: 'wasm' })).toBe('cpu');
    expect(resolveBackendRequest(undefined, { TFJS_RNN_BACKEND: 'wasm' })).toBe('wasm');
    expect(resolveBackendRequest(undefined, {})).toBe('auto');
    expect(resolveBackendRequest('', { TFJS_RNN_BACKEND: '' })).toBe('auto');
  });

  it('names the variable when TFJS_RNN_BACKEND holds an unknown name', () => {
    expect(() => resolveBackendRequest(undefined, { TFJS_RNN_BACKEND: 'gpu' })).toThrow(
      "TFJS_RNN_BACKEND: unknown backend 'gpu'",
    );
  });
});

describe('initBackendFromArgv', () => {
  it('initialises the flagged backend and prints its summary once', async () => {
    const lines: string[] = [];
    const info = await initBackendFromArgv(['--backend', 'cpu'], (l) => lines.push(l));
    await initBackendFromArgv(['--backend=cpu'], (l) => lines.push(l));
    expect(info.backend).toBe('cpu');
    expect(lines).toEqual([info.summary]);
  });
});
