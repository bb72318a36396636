/**
 * The default path is quiet: a library's initBackend() (auto), and the cpu and wasm backends by
 * name, print nothing on stderr. Dawn (whose warnings are native writes to stderr) is loaded only
 * where WebGPU could be chosen, and probing in a child process keeps its warnings in the child.
 * Run in a child process of its own, since native writes bypass every hook in this one.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { BackendInfo } from '../src/platform/backend/types';
import type { ChildProbe } from '../src/platform/webgpu/probe_child';

interface Report {
  auto: BackendInfo;
  cpu: BackendInfo;
  wasm: BackendInfo;
  sums: number[];
  childProbe: ChildProbe;
}

const script = `
  const tf = require('@tensorflow/tfjs');
  const { initBackend } = require('./src/platform');
  const { probeWebGPUInChild } = require('./src/platform/webgpu/probe_child');
  const sum = async () => { const y = tf.sum(tf.tensor1d([1, 2, 3])); const v = (await y.data())[0]; y.dispose(); return v; };
  (async () => {
    const auto = await initBackend();
    const sums = [await sum()];
    const cpu = await initBackend('cpu');
    sums.push(await sum());
    const wasm = await initBackend('wasm');
    sums.push(await sum());
    const childProbe = await probeWebGPUInChild();
    process.stdout.write(JSON.stringify({ auto, cpu, wasm, sums, childProbe }));
  })();`;

let report: Report;
let stderr: string;
beforeAll(() => {
  const env = { ...process.env };
  delete env.TFJS_RNN_BACKEND;
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: path.join(__dirname, '..'),
    env,
    encoding: 'utf8',
    timeout: 120000,
  });
  expect(child.status).toBe(0);
  report = JSON.parse(child.stdout) as Report;
  stderr = child.stderr;
});

test('initBackend() and the cpu and wasm backends print nothing on stderr', () => {
  expect(report.sums).toEqual([6, 6, 6]);
  expect(report.cpu.backend).toBe('cpu');
  expect(report.wasm.backend).toBe('wasm');
  // Where auto chose webgpu (a hardware GPU), Dawn was loaded on purpose and may speak.
  if (report.auto.backend !== 'webgpu') expect(stderr).toBe('');
});

test('auto-selection says why it skipped webgpu, in full, in the summary', () => {
  const webgpu = report.auto.attempts.find((a) => a.candidate === 'webgpu');
  expect(webgpu).toBeDefined();
  if (webgpu!.ok) return; // a hardware GPU: nothing skipped
  expect(webgpu!.reason).toMatch(/\S{10}/);
  expect(report.auto.summary).toContain(`webgpu: ${webgpu!.reason!.split('\n')[0]}`);
});

test('the child-process probe reports an adapter or a reason, and keeps Dawn’s output to itself', () => {
  const { probe } = report.childProbe;
  if (probe.available) expect(probe.adapter).toBeDefined();
  else expect(probe.reason).toMatch(/\S{10}/);
  for (const line of report.childProbe.stderr.split('\n').filter((l) => /^Warning: /.test(l))) {
    expect(stderr).not.toContain(line);
  }
});
