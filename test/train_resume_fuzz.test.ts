/**
 * Fuzz: seeded random damage to a real run's checkpoints (flipped bytes, cut or grown files,
 * lengths, shapes, sizes, steps, dtypes, keys and names with ../ and absolute paths, links to a
 * canary file outside the run, to /dev/zero and to /etc/passwd, FIFOs, removed files), then
 * --resume in this process. Every case must end one of three ways, decided by what was damaged:
 * refused with every file unchanged (both checkpoints damaged), fallen back to the older
 * checkpoint (the newest damaged), or continued from the newest (harmless damage); a run that goes
 * on must reproduce the uninterrupted run's losses exactly. In every case nothing outside the run
 * is opened, no more bytes are read than the run's files hold, and the peak memory stays flat.
 * A child process with the worst special files checks that nothing hangs (killed after 60 s).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import seedrandom from 'seedrandom';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../src/train/errors';
import { craftManifest, ManifestDoc, readMetricsLines, recordOpens, sha256Of, snapshot, spawnTrain, tempDir, trainInProcess } from './train_helpers';
import nodeFs = require('fs');

const FLAGS = ['--task', 'adding', '--seq-len', '5', '--units', '3', '--batch-size', '4', '--optimizer', 'adam', '--lr', '0.01', '--log-every', '1', '--checkpoint-every', '10', '--eval-every', '0'];
const CASES = 40;
const FILES = ['manifest.json', 'manifest.sha256', 'model.bin', 'optimizer.bin'];

type Rand = () => number;
const pick = <T>(rng: Rand, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
const int = (rng: Rand, n: number): number => Math.floor(rng() * n);

interface Place {
  run: string;
  /** Outside the run: canary.bin (the size of model.bin, other values), and a directory. */
  canary: string;
  outsideDir: string;
}

/** One kind of damage to checkpoint directory c; returns a description for the failure message. */
type Damage = (rng: Rand, c: string, p: Place) => string;

const editArray = (m: ManifestDoc, rng: Rand): ManifestDoc['files'][string]['arrays'][number] => {
  const f = m.files[pick(rng, Object.keys(m.files))];
  return f.arrays[int(rng, f.arrays.length)];
};

const harmful: Record<string, Damage> = {
  flipByte: (rng, c) => {
    const f = path.join(c, pick(rng, FILES));
    const b = fs.readFileSync(f);
    const at = int(rng, b.length);
    b[at] ^= 1 + int(rng, 255);
    fs.writeFileSync(f, b);
    return `flipped byte ${at} of ${path.basename(f)}`;
  },
  truncate: (rng, c) => {
    const f = path.join(c, pick(rng, FILES));
    const n = int(rng, fs.statSync(f).size);
    fs.truncateSync(f, n);
    return `cut ${path.basename(f)} to ${n} bytes`;
  },
  grow: (rng, c) => {
    const f = path.join(c, pick(rng, ['model.bin', 'optimizer.bin', 'manifest.json']));
    fs.appendFileSync(f, Buffer.alloc(1 + int(rng, 64), 7));
    return `grew ${path.basename(f)}`;
  },
  length: (rng, c) => {
    let d = '';
    craftManifest(c, (m) => {
      const a = editArray(m, rng);
      a.length = pick(rng, [a.length + 1, a.length - 1, 0, 2 ** 31, -1, 1e300, 0.5]);
      d = `length of ${a.name} → ${a.length}`;
    });
    return d;
  },
  shape: (rng, c) => {
    let d = '';
    craftManifest(c, (m) => {
      const a = editArray(m, rng);
      a.shape = pick(rng, [[1e9, 1e9], [2 ** 40], [-1, -1], [a.length, 2], ['3'], [1.5], 'x', [...Array(40).fill(1)]]);
      d = `shape of ${a.name} → ${JSON.stringify(a.shape).slice(0, 30)}`;
    });
    return d;
  },
  size: (rng, c) => {
    let d = '';
    craftManifest(c, (m) => {
      const f = m.files[pick(rng, Object.keys(m.files))];
      f.bytes = pick(rng, [1e15, 2 ** 40, 2 ** 31, f.bytes * 1000, f.bytes + 4]);
      d = `bytes of ${f.group} → ${f.bytes}`;
    });
    return d;
  },
  key: (rng, c, p) => {
    const key = pick(rng, ['../../../outside/canary.bin', p.canary, '/dev/zero', '/etc/passwd', 'sub/../model.bin', './model.bin', 'model.bin/', '..\\model.bin']);
    const canary = fs.readFileSync(p.canary);
    craftManifest(c, (m) => {
      const f = m.files['model.bin'];
      delete m.files['model.bin'];
      // sized and summed as the canary, so only the path stands between it and the model
      m.files[key] = { ...f, bytes: canary.length, sha256: sha256Of(canary) };
    });
    return `model.bin's key → ${key}`;
  },
  name: (rng, c) => {
    let d = '';
    craftManifest(c, (m) => {
      if (rng() < 0.5) {
        const a = editArray(m, rng);
        const name = pick(rng, [`${a.name}_`, '', 'simple_rnn/kernel', 'x'.repeat(300)]);
        a.name = name === a.name ? 'x' : name; // must be a change
        d = `array name → ${a.name.slice(0, 20)}`;
      } else {
        const k = pick(rng, Object.keys(m.files));
        m.files[k].group = pick(rng, ['weights', '../model', 'model', 'optimizer', '']);
        d = `group of ${k} → ${m.files[k].group}`;
        if (`${m.files[k].group}.bin` === k) m.files[k].group = 'other'; // must be a change
      }
    });
    return d;
  },
  link: (rng, c, p) => {
    const file = pick(rng, FILES);
    const target = pick(rng, [p.canary, '/dev/zero', '/etc/passwd', p.outsideDir]);
    fs.rmSync(path.join(c, file));
    fs.symlinkSync(target, path.join(c, file));
    return `${file} → link to ${target}`;
  },
  stepOrDtype: (rng, c) => {
    let d = '';
    craftManifest(c, (m) => {
      if (rng() < 0.5) {
        m.step = pick(rng, [-5, 2.5, '20', 1e20, 30, null]);
        d = `step → ${m.step}`;
      } else {
        const a = editArray(m, rng);
        a.dtype = pick(rng, ['complex64', 'float64', 'string', 'bool']);
        d = `dtype of ${a.name} → ${a.dtype}`;
      }
    });
    return d;
  },
  remove: (rng, c) => {
    const file = pick(rng, FILES);
    fs.rmSync(path.join(c, file));
    return `removed ${file}`;
  },
  special: (rng, c) => {
    const file = pick(rng, FILES);
    fs.rmSync(path.join(c, file));
    if (rng() < 0.5) execFileSync('mkfifo', [path.join(c, file)]);
    else fs.mkdirSync(path.join(c, file));
    return `${file} → FIFO or directory`;
  },
};

/** Damage that reading must not mind: the newest checkpoint stays in use. */
const harmless: Record<string, Damage> = {
  latest: (rng, c) => {
    fs.writeFileSync(path.join(path.dirname(c), 'LATEST'), pick(rng, ['garbage', '', 'ckpt-00000010\n', '../../etc/passwd']));
    return 'LATEST rewritten';
  },
  stray: (_rng, c, p) => {
    fs.symlinkSync(p.canary, path.join(c, 'stray.bin'));
    fs.writeFileSync(path.join(path.dirname(c), 'ckpt-notes.txt'), 'x');
    return 'a stray link and file beside the checkpoint';
  },
};

const root = tempDir('fuzz');
const base = path.join(root, 'base');
const reference = path.join(root, 'reference');

beforeAll(async () => {
  await trainInProcess([...FLAGS, '--steps', '20', '--out', base]);
  await trainInProcess([...FLAGS, '--steps', '30', '--out', reference]);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) n += bytesUnder(full);
    else if (e.isFile()) n += fs.statSync(full).size;
  }
  return n;
}

it(`${CASES} seeded corruptions: refused, fallen back or continued exactly; nothing outside read`, async () => {
  const rng = seedrandom('resume fuzz');
  const outcomes: Record<string, number> = {};
  const peakBefore = process.resourceUsage().maxRSS; // KiB
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < CASES; i++) {
    const caseDir = path.join(root, `case-${i}`);
    const run = path.join(caseDir, 'run');
    const outsideDir = path.join(caseDir, 'outside');
    fs.cpSync(base, run, { recursive: true });
    fs.mkdirSync(outsideDir);
    const canary = path.join(outsideDir, 'canary.bin');
    const model = fs.readFileSync(path.join(run, 'checkpoint', 'ckpt-00000020', 'model.bin'));
    fs.writeFileSync(canary, Buffer.from(new Float32Array(model.length / 4).fill(12345.678).buffer));
    const place = { run, canary, outsideDir };

    const isHarmless = rng() < 0.15;
    const kinds = isHarmless ? harmless : harmful;
    const kind = pick(rng, Object.keys(kinds));
    const what = [kinds[kind](rng, path.join(run, 'checkpoint', 'ckpt-00000020'), place)];
    const both = !isHarmless && rng() < 0.25;
    if (both) {
      const k2 = pick(rng, Object.keys(harmful));
      what.push(`and ckpt-10: ${harmful[k2](rng, path.join(run, 'checkpoint', 'ckpt-00000010'), place)}`);
    }
    const expected = both ? 'refused' : isHarmless ? 'continued from 20' : 'fell back to 10';

    const before = snapshot(run);
    const runBytes = bytesUnder(run);
    let readBytes = 0;
    const readSync = nodeFs.readSync;
    const readSpy = jest.spyOn(nodeFs, 'readSync').mockImplementation(((...args: unknown[]) => {
      const n = (readSync as (...a: unknown[]) => number).apply(nodeFs, args);
      readBytes += n;
      return n;
    }) as typeof fs.readSync);
    const opens = recordOpens();
    let outcome: string;
    let log: string[] = [];
    try {
      ({ log } = await trainInProcess(['--resume', run, '--steps', '30']));
      const from = /resumed from .* \(step (\d+)\)/.exec(log.join('\n'));
      outcome = from === null ? 'no resume line' : `${from[1] === '20' ? 'continued from' : 'fell back to'} ${from[1]}`;
    } catch (e) {
      outcome = e instanceof UsageError ? 'refused' : `crashed: ${(e as Error).message}`;
    } finally {
      readSpy.mockRestore();
    }
    const opened = opens.stop();
    const label = `case ${i} (${kind}: ${what.join('; ')})`;
    expect({ label, outcome }).toEqual({ label, outcome: expected });
    expect({ label, outside: opened.filter((p) => !p.startsWith(run + path.sep)) }).toEqual({ label, outside: [] });
    expect({ label, readAtMostTheRun: readBytes <= runBytes }).toEqual({ label, readAtMostTheRun: true });
    if (outcome === 'refused') expect({ label, files: snapshot(run) }).toEqual({ label, files: before });
    else {
      const steps = (m: { step: number; loss: number; gradNorm: number }) => [m.step, m.loss, m.gradNorm];
      expect({ label, metrics: readMetricsLines(run).map(steps) }).toEqual({ label, metrics: readMetricsLines(reference).map(steps) });
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    fs.rmSync(caseDir, { recursive: true, force: true });
  }
  // Every outcome happened, so each check above was exercised.
  expect(Object.keys(outcomes).sort()).toEqual(['continued from 20', 'fell back to 10', 'refused']);
  expect(tf.memory().numTensors).toBe(tensors);
  // /dev/zero followed even once costs gigabytes; the whole fuzz must stay within 256 MiB.
  expect(process.resourceUsage().maxRSS - peakBefore).toBeLessThan(256 * 1024);
});

it('the worst special files, in a child process: refused within 60 s, nothing changed', async () => {
  const run = path.join(root, 'special');
  fs.cpSync(base, run, { recursive: true });
  const newest = path.join(run, 'checkpoint', 'ckpt-00000020');
  const older = path.join(run, 'checkpoint', 'ckpt-00000010');
  fs.rmSync(path.join(newest, 'manifest.json'));
  execFileSync('mkfifo', [path.join(newest, 'manifest.json')]); // opening it for reading would block
  fs.rmSync(path.join(older, 'model.bin'));
  fs.symlinkSync('/dev/zero', path.join(older, 'model.bin')); // reading it would never end
  const before = snapshot(run);
  const child = spawnTrain(['--resume', run]);
  const timer = setTimeout(() => child.child.kill('SIGKILL'), 60_000);
  const r = await child.done;
  clearTimeout(timer);
  expect(r.signal).toBeNull();
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/ckpt-00000020: manifest\.json: expected a regular file, got a FIFO/);
  expect(r.stderr).toMatch(/ckpt-00000010: model\.bin: expected a regular file, got a symbolic link/);
  expect(snapshot(run)).toEqual(before);
});
