/**
 * config.json's document: what a new run records about itself (config, steps, task, backend,
 * versions), and the entry each resume appends to `resumes`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '..';
import type { RunSetup } from './run_setup';

const PACKAGE_VERSION = (() => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** config.json for this run: new, or the saved one with this resume's entry appended. */
export function configDocument(setup: RunSetup, info: BackendInfo, fromStep: number, parameters: number): Record<string, unknown> {
  const backend = { backend: info.backend, package: info.package, version: info.version, summary: info.summary };
  const saved = setup.saved;
  if (saved !== null) {
    const doc = saved.doc;
    const resumes = (doc.resumes as unknown[] | undefined) ?? [];
    const entry: Record<string, unknown> = { at: new Date().toISOString(), fromStep, steps: setup.steps, backend };
    if (Object.keys(setup.overrides).length > 0) entry.overrides = setup.overrides;
    resumes.push(entry);
    doc.resumes = resumes;
    doc.config = setup.config;
    return doc;
  }
  const task = setup.task;
  return {
    config: setup.config,
    steps: setup.steps,
    parameters,
    task: { name: task.name, epochSize: task.epochSize, vocabulary: task.alphabet, textSha256: setup.textSha256 ?? undefined, copy: setup.textSha256 === null ? undefined : 'text.txt' },
    backend,
    versions: { 'tfjs-rnn': PACKAGE_VERSION, '@tensorflow/tfjs': tf.version.tfjs, node: process.version },
    startedAt: new Date().toISOString(),
  };
}
