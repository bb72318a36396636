/**
 * Issue 21's cases for the training app: numbers parsed strictly and in range, sizes refused before
 * anything is allocated, misspelt flags with a suggestion, a config.json edited against its
 * checkpoint refused naming the field (lr and steps recorded as overrides instead), and a chars run
 * folder that is self-contained: resume reads nothing outside it, whatever config.json names.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { parseTrainArgs } from '../src/train/cli';
import { ResumeError, UsageError } from '../src/train/errors';
import { prepareRun } from '../src/train/run_setup';
import { recordOpens, snapshot, spawnTrain, tempDir, trainInProcess } from './train_helpers';

const root = tempDir('hardening');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function usageError(argv: string[]): Error {
  try {
    const parsed = parseTrainArgs(argv);
    if (parsed.kind !== 'help') prepareRun(parsed);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

describe('flags: numbers parsed strictly, sizes refused before allocating', () => {
  const out = path.join(root, 'never');
  const refused: Array<[string[], RegExp]> = [
    [['--units', '100000'], /^--units: expected an integer in \[1, 4096\], got '100000'$/],
    [['--units', '1000000000'], /^--units: expected an integer in \[1, 4096\], got '1000000000'$/],
    [['--lr', '0x1'], /^--lr: expected a decimal number in \(0, 1000000\], got '0x1'$/],
    [['--lr', '0b1'], /^--lr: expected a decimal number in \(0, 1000000\], got '0b1'$/],
    [['--lr', ' 1'], /^--lr: expected a decimal number in \(0, 1000000\], got ' 1'$/],
    [['--lr', 'Infinity'], /^--lr: expected a decimal number in \(0, 1000000\], got 'Infinity'$/],
    [['--lr', '1e400'], /^--lr: expected a decimal number in \(0, 1000000\], got '1e400'$/],
    [['--steps', '1e3'], /^--steps: expected an integer in \[1, 1000000000\], got '1e3'$/],
    [['--batch-size', '0x10'], /^--batch-size: expected an integer in \[1, 4096\], got '0x10'$/],
    [['--seed', '1.5'], /^--seed: expected an integer in \[0, 9007199254740991\], got '1.5'$/],
    [['--layers', '17'], /^--layers: expected an integer in \[1, 16\], got '17'$/],
    [['--seq-len', '10001'], /^--seq-len: expected an integer in \[1, 10000\], got '10001'$/],
    [['--step', '5'], /^--step: expected one of the flags in --help, got an unknown option; did you mean --steps\?$/],
    [['--batchsize', '5'], /did you mean --batch-size\?$/],
    [['--units', '4096', '--layers', '16', '--seq-len', '10000'], /^expected a model of at most 134217728 parameters, got \d+ \(units 4096, layers 16/],
    [['--units', '1024', '--seq-len', '10000', '--batch-size', '4096'], /^expected batch-size × seq-len × layers × directions × \(gates \+ 2\) × units of at most 536870912 values \(the BPTT tape\), got 4096 × 10000 × 1 × 1 × 3 × 1024 = /],
  ];
  for (const [argv, message] of refused) {
    it(argv.join(' '), () => {
      const tensors = tf.memory().numTensors;
      const e = usageError([...argv, '--out', out]);
      expect(e).toBeInstanceOf(UsageError);
      expect(e.message).toMatch(message);
      expect(fs.existsSync(out)).toBe(false);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  }

  it('the script: exit 2, the message and the usage, no stack trace', async () => {
    for (const argv of [['--units', '100000'], ['--step', '5']]) {
      const r = await spawnTrain([...argv, '--out', out]).done;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: --(units|step): expected /);
      expect(r.stderr).toMatch(/usage: npm run train/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(fs.existsSync(out)).toBe(false);
  });
});

const SMALL = ['--task', 'adding', '--seq-len', '5', '--units', '3', '--batch-size', '4', '--lr', '0.01', '--log-every', '1', '--checkpoint-every', '5', '--eval-every', '0'];

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const f = path.join(dir, 'config.json');
  const doc = JSON.parse(fs.readFileSync(f, 'utf8')) as { config: Record<string, unknown> };
  edit(doc.config);
  fs.writeFileSync(f, JSON.stringify(doc, null, 2));
}

async function resumeRefusal(dir: string, argv: string[] = []): Promise<Error> {
  try {
    await trainInProcess(['--resume', dir, ...argv]);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected the resume of ${dir} to be refused`);
}

describe('config.json cannot change what the checkpoint defines', () => {
  const base = path.join(root, 'base');
  let copies = 0;
  beforeAll(async () => {
    await trainInProcess([...SMALL, '--activation', 'relu', '--steps', '5', '--out', base]);
  });
  const copy = (): string => {
    const dir = path.join(root, `edit-${++copies}`);
    fs.cpSync(base, dir, { recursive: true });
    return dir;
  };

  const edits: Array<[string, unknown, RegExp]> = [
    ['activation', 'tanh', /config\.json: expected config\.activation to be "relu", what the checkpoint at step 5 was trained with .*got "tanh"/],
    ['seqLen', 6, /expected config\.seqLen to be 5, what the checkpoint at step 5 was trained with .*got 6/],
    ['batchSize', 8, /expected config\.batchSize to be 4, .*got 8/],
    ['seed', 2, /expected config\.seed to be 1, .*got 2/],
    ['units', 4, /expected config\.units to be 3, .*got 4/],
    ['units', 1e9, /expected config\.units to be an integer in \[1, 4096\], got 1000000000/],
    ['lr', '0x1', /expected config\.lr to be a number in \(0, 1000000\], got "0x1"/],
  ];
  for (const [field, value, message] of edits) {
    it(`${field}: ${JSON.stringify(value)} is refused, naming the field; no file changes`, async () => {
      const dir = copy();
      editConfig(dir, (c) => void (c[field] = value));
      const before = snapshot(dir);
      const tensors = tf.memory().numTensors;
      const e = await resumeRefusal(dir, ['--steps', '7']);
      expect(e).toBeInstanceOf(ResumeError);
      expect(e.message).toMatch(message);
      expect(e.message).toContain(`Nothing in ${dir} was changed.`);
      expect(snapshot(dir)).toEqual(before); // model/model.json included
      expect(tf.memory().numTensors).toBe(tensors);
    });
  }

  it('the script: an edited activation exits 2 without a stack trace, nothing changed', async () => {
    const dir = copy();
    editConfig(dir, (c) => void (c.activation = 'tanh'));
    const before = snapshot(dir);
    const r = await spawnTrain(['--resume', dir, '--steps', '7']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.activation/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(dir)).toEqual(before);
  });

  it('lr (edited, or --lr) and --steps are recorded as overrides in resumes', async () => {
    const dir = copy();
    editConfig(dir, (c) => void (c.lr = 0.005));
    await trainInProcess(['--resume', dir, '--steps', '7']);
    await trainInProcess(['--resume', dir, '--steps', '9', '--lr', '0.002']);
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { resumes: Array<{ overrides?: unknown }>; config: { lr: number } };
    expect(doc.resumes.map((r) => r.overrides)).toEqual([
      { lr: { from: 0.01, to: 0.005 }, steps: { from: 5, to: 7 } },
      { lr: { from: 0.005, to: 0.002 }, steps: { from: 7, to: 9 } },
    ]);
    expect(doc.config.lr).toBe(0.002);
  });
});

describe('a chars run folder is self-contained', () => {
  const text = path.join(root, 'corpus.txt');
  const run = path.join(root, 'chars');
  const CHARS = ['--task', 'chars', '--seq-len', '5', '--units', '3', '--embedding-dim', '2', '--batch-size', '2', '--checkpoint-every', '2', '--eval-every', '0', '--sample-every', '0'];
  let copies = 0;
  beforeAll(async () => {
    fs.writeFileSync(text, 'the quick brown fox jumps over the lazy dog. '.repeat(8));
    await trainInProcess([...CHARS, '--text', text, '--steps', '2', '--out', run]);
  });
  const copy = (): string => {
    const dir = path.join(root, `chars-${++copies}`);
    fs.cpSync(run, dir, { recursive: true });
    return dir;
  };

  it('keeps a copy of its text', () => {
    expect(fs.readFileSync(path.join(run, 'text.txt'))).toEqual(fs.readFileSync(text));
  });

  for (const target of ['/etc/hostname', '/dev/zero', 'fifo']) {
    it(`config.json's text pointed at ${target}: resume opens nothing outside the folder`, async () => {
      const dir = copy();
      const fifo = path.join(root, `fifo-${copies}`);
      fs.rmSync(fifo, { force: true });
      if (target === 'fifo') require('child_process').execFileSync('mkfifo', [fifo]);
      editConfig(dir, (c) => void (c.text = target === 'fifo' ? fifo : target));
      const opens = recordOpens();
      let opened: string[];
      try {
        await trainInProcess(['--resume', dir, '--steps', '4']);
      } finally {
        opened = opens.stop();
      }
      expect(opened.filter((p) => !p.startsWith(dir + path.sep))).toEqual([]);
      expect(opened).toContain(path.join(dir, 'text.txt')); // the recording works
    });
  }

  /** The script resumes dir in a child; a read that blocks would be killed after 60 s and fail. */
  async function scriptResume(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const r = spawnTrain(args);
    const timer = setTimeout(() => r.child.kill('SIGKILL'), 60000);
    const done = await r.done;
    clearTimeout(timer);
    return done;
  }

  const refusals: Array<[string, (dir: string, fifo: string) => string[], RegExp]> = [
    ['text.txt gone, config.json names a FIFO', (dir, fifo) => {
      fs.rmSync(path.join(dir, 'text.txt'));
      editConfig(dir, (c) => void (c.text = fifo));
      return [];
    }, /expected the run's text in .*text\.txt .*found none; name it again with --resume .* --text FILE/],
    ['text.txt replaced by a FIFO', (dir) => {
      fs.rmSync(path.join(dir, 'text.txt'));
      require('child_process').execFileSync('mkfifo', [path.join(dir, 'text.txt')]);
      return [];
    }, /text\.txt: expected a regular file, got a FIFO/],
    ['--text names a FIFO', (_dir, fifo) => ['--text', fifo], /expected a regular file, got a FIFO/],
    ['--text names /dev/zero', () => ['--text', '/dev/zero'], /zero: expected a regular file, got a character device/],
    ['text.txt is a link to /dev/zero', (dir) => {
      fs.rmSync(path.join(dir, 'text.txt'));
      fs.symlinkSync('/dev/zero', path.join(dir, 'text.txt'));
      return [];
    }, /text\.txt: expected a regular file, got a symbolic link/],
    ['--text names another text', () => ['--text', '/etc/hostname'], /expected the text the run was trained on \(sha256 [0-9a-f]{64}\), got \/etc\/hostname/],
  ];
  for (const [what, damage, message] of refusals) {
    it(`${what}: exit 2, never blocks, nothing changed`, async () => {
      const dir = copy();
      const fifo = path.join(root, `fifo-r${copies}`);
      require('child_process').execFileSync('mkfifo', [fifo]);
      const extra = damage(dir, fifo);
      const before = snapshot(dir);
      const r = await scriptResume(['--resume', dir, '--steps', '4', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(snapshot(dir)).toEqual(before);
    });
  }

  it('a run without its copy resumes on a text named again with --text, and keeps it', async () => {
    const dir = copy();
    fs.rmSync(path.join(dir, 'text.txt'));
    editConfig(dir, (c) => void (c.text = '/etc/hostname'));
    const { result } = await trainInProcess(['--resume', dir, '--steps', '4', '--text', text]);
    expect(result.status).toBe('completed');
    expect(fs.readFileSync(path.join(dir, 'text.txt'))).toEqual(fs.readFileSync(text));
  });
});
