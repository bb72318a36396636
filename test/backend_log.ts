/**
 * For the backends reporter (test/reporters/backends_reporter.js): after each test, which backend
 * tfjs is on; after the file, one line of the log with every backend its tests ran on. The webgpu
 * gate records why GPU tests were skipped (noteWebGPUSkip). Nothing is recorded when jest runs
 * without the reporter (TFJS_RNN_BACKEND_LOG unset).
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';

const log = process.env.TFJS_RNN_BACKEND_LOG;

function append(record: object): void {
  if (log !== undefined && log !== '') fs.appendFileSync(log, `${JSON.stringify(record)}\n`);
}

/** Records why this file's webgpu tests were skipped. */
export function noteWebGPUSkip(reason: string): void {
  append({ skip: reason });
}

/** Installs the hooks (setupFilesAfterEnv): the backend each test ended on, one record per file. */
export function recordBackends(): void {
  const seen = new Set<string>();
  afterEach(() => {
    // The engine's current backend, read without initialising one.
    const name = (tf.engine() as unknown as { backendName?: string }).backendName;
    if (typeof name === 'string' && name !== '') seen.add(name);
  });
  afterAll(() => {
    if (seen.size > 0) append({ file: expect.getState().testPath, backends: [...seen] });
  });
}
