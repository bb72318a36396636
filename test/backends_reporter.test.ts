/**
 * `npm test` ends with one line saying which backends the proofs ran on, and why WebGPU did not:
 * the reporter's line from the records test files leave (test/backend_log.ts, the webgpu gate).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { summaryLine } = require('./reporters/backends_reporter') as { summaryLine: (records: object[], env: Record<string, string | undefined>) => string };

const files = (backends: string[][]): object[] => backends.map((b, i) => ({ file: `/t/f${i}.test.ts`, backends: b }));

describe('the backends line', () => {
  it('cpu and wasm only, webgpu not asked for', () => {
    expect(summaryLine(files([['cpu'], ['cpu', 'wasm']]), {})).toBe(
      'backends: the proofs ran on cpu (2 files), wasm (1 file); webgpu did not run: not asked for (TFJS_RNN_TEST_WEBGPU=1 or CI=true runs the core proofs on it too)',
    );
  });

  it('webgpu skipped for want of an adapter: the gate says why', () => {
    const records = [...files([['cpu', 'wasm']]), { skip: 'no Vulkan driver (libvulkan.so.1 not found)' }];
    expect(summaryLine(records, { CI: 'true' })).toBe('backends: the proofs ran on cpu (1 file), wasm (1 file); webgpu did not run: no adapter here: no Vulkan driver (libvulkan.so.1 not found)');
  });

  it('every backend, as CI runs it', () => {
    expect(summaryLine(files([['cpu', 'wasm', 'webgpu'], ['webgpu']]), { CI: 'true' })).toBe('backends: the proofs ran on cpu (1 file), wasm (1 file), webgpu (2 files)');
  });

  it('webgpu in its own files only', () => {
    expect(summaryLine(files([['cpu'], ['webgpu']]), {})).toMatch(/^backends: the proofs ran on cpu \(1 file\), webgpu \(1 file\); the core proofs ran on webgpu only in the webgpu_\* files/);
  });

  it('nothing recorded', () => {
    expect(summaryLine([], {})).toBe('backends: no test file recorded a backend');
  });
});
