/**
 * Mesa's "error: XDG_RUNTIME_DIR is invalid or not set" stays out of successful runs: before Dawn
 * starts, an unset or unusable XDG_RUNTIME_DIR is pointed at a private directory (mode 0700), a
 * usable one is left alone, and the doctor reports the change.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { webgpuSection } from '../src/platform/doctor/gpu_sections';
import type { DoctorFacts } from '../src/platform/doctor/types';
import { ensureRuntimeDir } from '../src/platform/webgpu/runtime_dir';

describe('XDG_RUNTIME_DIR for Dawn', () => {
  for (const [what, value] of [['unset', undefined], ['not a directory', '/nonexistent/run'], ['relative', 'run']] as const) {
    it(`${what}: pointed at a private directory`, () => {
      const env: NodeJS.ProcessEnv = value === undefined ? {} : { XDG_RUNTIME_DIR: value };
      const change = ensureRuntimeDir(env);
      expect(change).toEqual({ was: value, now: env.XDG_RUNTIME_DIR });
      const st = fs.statSync(env.XDG_RUNTIME_DIR as string);
      expect(st.isDirectory()).toBe(true);
      expect(st.mode & 0o777).toBe(0o700);
    });
  }

  it('a usable one is left as it is', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-xdg-'));
    const env: NodeJS.ProcessEnv = { XDG_RUNTIME_DIR: dir };
    ensureRuntimeDir(env);
    expect(env.XDG_RUNTIME_DIR).toBe(dir);
    fs.rmSync(dir, { recursive: true });
  });

  it('the doctor says what was changed', () => {
    const facts = { platform: 'linux x64', backends: [], webgpu: { available: false, reason: 'none', vulkanLoader: true, vulkanDrivers: [] }, gpuDeviceNodes: [], env: {}, runtimeDir: { was: undefined, now: '/tmp/tfjs-rnn-runtime-0' } } as unknown as DoctorFacts;
    const titles = webgpuSection(facts).findings.map((f) => f.title);
    expect(titles).toContain('XDG_RUNTIME_DIR was unset: set to /tmp/tfjs-rnn-runtime-0 for Dawn');
  });

  it('a process that starts Dawn with XDG_RUNTIME_DIR unset prints no XDG_RUNTIME_DIR line', () => {
    const env = { ...process.env };
    delete env.XDG_RUNTIME_DIR;
    const script = "require('./src/platform/webgpu/dawn').dawnInstance('vulkan'); console.log('started')";
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: path.join(__dirname, '..'), env, encoding: 'utf8', timeout: 60000 });
    expect(r.stdout).toContain('started'); // Dawn was created
    expect(r.stderr).not.toMatch(/XDG_RUNTIME_DIR/);
  });
});
