/**
 * --resume never destroys: when it cannot continue (no checkpoint, a damaged or edited
 * config.json, checkpoints that do not fit the model, links among the run's files) it refuses
 * with a message naming the file and the reason (exit 2 from the script) and every file of the
 * run is left byte for byte as it was. When only the newest checkpoint is bad, it falls back to
 * the previous one and continues exactly, and the metrics lines it recomputes are kept aside.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/platform';
import { parseTrainArgs } from '../src/train/cli';
import { UsageError } from '../src/train/errors';
import { LineProgress } from '../src/train/progress';
import { prepareRun } from '../src/train/run_setup';
import { Trainer } from '../src/train/trainer';
import { craftManifest, readMetricsLines, sha256Of, snapshot, spawnTrain, tempDir, trainInProcess } from './train_helpers';

const FLAGS = ['--task', 'adding', '--seq-len', '5', '--units', '3', '--batch-size', '4', '--optimizer', 'adam', '--lr', '0.01', '--log-every', '1', '--checkpoint-every', '10', '--eval-every', '0'];

const root = tempDir('resume-safe');
const base = path.join(root, 'base'); // 20 steps, checkpoints at 10 and 20
const reference = path.join(root, 'reference'); // 30 steps uninterrupted
let copies = 0;

beforeAll(async () => {
  await trainInProcess([...FLAGS, '--steps', '20', '--out', base]);
  await trainInProcess([...FLAGS, '--steps', '30', '--out', reference]);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function copyOfBase(): string {
  const dir = path.join(root, `copy-${++copies}`);
  fs.cpSync(base, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

function editConfig(dir: string, edit: (doc: { config: Record<string, unknown> }) => void): void {
  const f = path.join(dir, 'config.json');
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  edit(doc);
  fs.writeFileSync(f, JSON.stringify(doc, null, 2));
}

/** Resumes dir to 30 steps; the error it throws (null when it ran). */
async function resumeError(dir: string): Promise<Error | null> {
  try {
    await trainInProcess(['--resume', dir, '--steps', '30']);
    return null;
  } catch (e) {
    return e as Error;
  }
}

const refusals: Array<[string, (dir: string) => void, RegExp]> = [
  ['the checkpoint directory is gone', (dir) => fs.rmSync(path.join(dir, 'checkpoint'), { recursive: true }), /--resume: expected a checkpoint in .*checkpoint, found none/],
  ['the checkpoint directory is empty', (dir) => {
    fs.rmSync(path.join(dir, 'checkpoint'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'checkpoint'));
  }, /--resume: expected a checkpoint in .*checkpoint, found none/],
  ['config.json is cut short', (dir) => fs.truncateSync(path.join(dir, 'config.json'), 40), /config\.json: expected JSON, got unparsable text/],
  ['config.json has a field of the wrong type', (dir) => editConfig(dir, (d) => void (d.config.units = 'abc')), /config\.json: expected config\.units to be an integer in \[1, /],
  ['config.json has lost a field', (dir) => editConfig(dir, (d) => void delete d.config.optimizer), /config\.json: expected config\.optimizer to be one of sgd, momentum, adam, got nothing/],
  // The checkpoint records the run (meta.run): a config.json that disagrees is refused naming the field.
  ['config.json asks for another width', (dir) => editConfig(dir, (d) => void (d.config.units = 4)), /config\.json: expected config\.units to be 3, what the checkpoint at step 20 was trained with .*got 4$/m],
  ['config.json asks for another optimizer', (dir) => editConfig(dir, (d) => void (d.config.optimizer = 'momentum')), /expected config\.optimizer to be "adam", .*got "momentum"/],
  ['config.json asks for another task', (dir) => editConfig(dir, (d) => void (d.config.task = 'sine')), /expected config\.task to be "adding", .*got "sine"/],
  ['config.json names an unknown cell', (dir) => editConfig(dir, (d) => void (d.config.cell = 'rnn')), /config\.json: expected config\.cell to be one of simple, lstm, gru, got "rnn"/],
  ['config.json has bidirectional as a string', (dir) => editConfig(dir, (d) => void (d.config.bidirectional = 'yes')), /config\.json: expected config\.bidirectional to be true or false, got "yes"/],
  ['config.json asks for reset-after on a SimpleRNN', (dir) => editConfig(dir, (d) => void (d.config.resetAfter = true)), /config\.json: expected config to be a config whose flags go together \(--reset-after: expected only with --cell gru/],
  ['config.json asks for an LSTM', (dir) => editConfig(dir, (d) => void (d.config.cell = 'lstm')), /expected config\.cell to be "simple", .*got "lstm"/],
  ['config.json asks for two layers', (dir) => editConfig(dir, (d) => void (d.config.layers = 2)), /expected config\.layers to be 1, .*got 2/],
  ['a checkpoint without meta.run (older runs): its arrays must still fit', (dir) => {
    editConfig(dir, (d) => void (d.config.units = 4));
    for (const c of ['ckpt-00000010', 'ckpt-00000020']) craftManifest(path.join(dir, 'checkpoint', c), (m) => void delete m.meta.run);
  }, /got only bad ones:\n  ckpt-00000020: .*group model: expected array 0 to be simple_rnn\/kernel \[2,4\] float32, got simple_rnn\/kernel \[2,3\] float32\n  ckpt-00000010: /],
  ['metrics.jsonl is a link to a file outside the run', (dir) => {
    fs.writeFileSync(path.join(root, 'outside.txt'), 'not yours\n');
    fs.rmSync(path.join(dir, 'metrics.jsonl'));
    fs.symlinkSync(path.join(root, 'outside.txt'), path.join(dir, 'metrics.jsonl'));
  }, /metrics\.jsonl: expected a regular file, got a symbolic link/],
  ['model/weights.bin is a link', (dir) => {
    fs.rmSync(path.join(dir, 'model', 'weights.bin'));
    fs.symlinkSync('/dev/null', path.join(dir, 'model', 'weights.bin'));
  }, /weights\.bin: expected a regular file, got a symbolic link/],
];

describe('a resume that cannot go ahead refuses and changes nothing', () => {
  for (const [what, damage, message] of refusals) {
    it(what, async () => {
      const dir = copyOfBase();
      damage(dir);
      const outsideBefore = fs.existsSync(path.join(root, 'outside.txt')) ? fs.readFileSync(path.join(root, 'outside.txt'), 'utf8') : null;
      const before = snapshot(dir);
      const tensors = tf.memory().numTensors;
      const e = await resumeError(dir);
      expect(e).toBeInstanceOf(UsageError); // the script's exit 2, not a stack trace
      expect(e?.message).toMatch(message);
      expect(e?.message).toContain(`Nothing in ${dir} was changed.`);
      expect(snapshot(dir)).toEqual(before);
      if (outsideBefore !== null) expect(fs.readFileSync(path.join(root, 'outside.txt'), 'utf8')).toBe(outsideBefore);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  }

  it('the script: exit 2, the message without the usage line, nothing changed', async () => {
    const dir = copyOfBase();
    fs.rmSync(path.join(dir, 'checkpoint'), { recursive: true });
    const before = snapshot(dir);
    const r = await spawnTrain(['--resume', dir]).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --resume: expected a checkpoint in .*, found none/m);
    expect(r.stderr).not.toMatch(/usage:/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(snapshot(dir)).toEqual(before);
  });
});

/** Rewrites file in a checkpoint with edit(bytes), fixing its sha256 and the manifest's checksum. */
function craftBinary(ckpt: string, file: string, edit: (b: Buffer) => void): void {
  const f = path.join(ckpt, file);
  const b = fs.readFileSync(f);
  edit(b);
  fs.writeFileSync(f, b);
  craftManifest(ckpt, (m) => void (m.files[file].sha256 = sha256Of(b)));
}

const fallbacks: Array<[string, (ckpt: string) => void, RegExp]> = [
  ['an array renamed', (c) => craftManifest(c, (m) => void (m.files['model.bin'].arrays[0].name = 'simple_rnn/kernel_')), /expected array 0 to be simple_rnn\/kernel \[2,3\] float32, got simple_rnn\/kernel_/],
  ['a group renamed in full (weights.bin)', (c) => {
    fs.renameSync(path.join(c, 'model.bin'), path.join(c, 'weights.bin'));
    craftManifest(c, (m) => {
      m.files['weights.bin'] = { ...m.files['model.bin'], group: 'weights' };
      delete m.files['model.bin'];
    });
  }, /expected the groups model, optimizer, got optimizer, weights/],
  ['an iteration count that is not the step', (c) => craftBinary(c, 'optimizer.bin', (b) => b.writeInt32LE(7, 0)), /iteration count to equal the step 20, got 7/],
  ['a NaN among the weights', (c) => craftBinary(c, 'model.bin', (b) => b.writeFloatLE(NaN, 0)), /expected finite values in simple_rnn\/kernel/],
  ['an optimizer extra that is not a number', (c) => craftManifest(c, (m) => void ((m.meta.optimizer as { extras: Record<string, unknown> }).extras.accBeta1 = 'x')), /meta\.optimizer\.extras\.accBeta1 to be a finite number/],
  ['an optimizer extra missing', (c) => craftManifest(c, (m) => void delete (m.meta.optimizer as { extras: Record<string, unknown> }).extras.accBeta2), /meta\.optimizer\.extras\.accBeta2 to be a finite number .*, got nothing/],
  ['a checkpoint of another task with the same shapes', (c) => craftManifest(c, (m) => void (m.meta.task = 'sine')), /meta\.task to be one of adding, got "sine"/],
  ['a data position the task cannot restore', (c) => craftManifest(c, (m) => void (m.meta.data = { rng: 5 })), /meta\.data to be a data position the adding task/],
];

describe('a newest checkpoint that does not fit: the previous one is used, exactly', () => {
  for (const [what, damage, reason] of fallbacks) {
    it(what, async () => {
      const dir = copyOfBase();
      damage(path.join(dir, 'checkpoint', 'ckpt-00000020'));
      const original = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
      const { result, log } = await trainInProcess(['--resume', dir, '--steps', '30']);
      expect(result.status).toBe('completed');
      expect(log).toContain(`resumed from ${path.relative(process.cwd(), path.join(dir, 'checkpoint', 'ckpt-00000010'))} (step 10)`);
      const skipped = log.filter((l) => l.startsWith('skipped a checkpoint: ckpt-00000020: '));
      expect(skipped.length).toBe(1);
      expect(skipped[0]).toMatch(reason);
      const pick = (m: { step: number; loss: number; gradNorm: number }) => [m.step, m.loss, m.gradNorm];
      expect(readMetricsLines(dir).map(pick)).toEqual(readMetricsLines(reference).map(pick));
      // The ten lines after step 10 were taken again; the originals are kept aside, none lost.
      const superseded = fs.readFileSync(path.join(dir, 'metrics.superseded.jsonl'), 'utf8').split('\n').filter(Boolean);
      expect(superseded).toEqual(original.slice(10));
      const doc = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      expect(doc.resumes.map((r: { fromStep: number }) => r.fromStep)).toEqual([10]);
    });
  }
});

describe('resume edge cases', () => {
  it('a run stopped before its first step (a checkpoint at step 0) resumes exactly', async () => {
    const dir = path.join(root, 'step0');
    const parsed = parseTrainArgs([...FLAGS, '--steps', '30', '--out', dir]);
    if (parsed.kind !== 'new') throw new Error('expected a new run');
    const trainer = new Trainer(prepareRun(parsed), await initBackend('cpu'), new LineProgress(() => undefined));
    trainer.requestStop('SIGINT');
    expect((await trainer.run()).checkpointStep).toBe(0);
    const { result } = await trainInProcess(['--resume', dir]);
    expect(result.status).toBe('completed');
    const pick = (m: { step: number; loss: number }) => [m.step, m.loss];
    expect(readMetricsLines(dir).map(pick)).toEqual(readMetricsLines(reference).map(pick));
  });

  it('a config.json from before --cell, --layers, --bidirectional, --reset-after resumes as one SimpleRNN layer, exactly', async () => {
    const dir = copyOfBase();
    editConfig(dir, (d) => {
      for (const key of ['cell', 'layers', 'bidirectional', 'resetAfter']) delete d.config[key];
    });
    const { result } = await trainInProcess(['--resume', dir, '--steps', '30']);
    expect(result.status).toBe('completed');
    const pick = (m: { step: number; loss: number; gradNorm: number }) => [m.step, m.loss, m.gradNorm];
    expect(readMetricsLines(dir).map(pick)).toEqual(readMetricsLines(reference).map(pick));
  });

  it('a damaged grad_flow_init.json is computed again, the same as when the run started', async () => {
    const dir = copyOfBase();
    const original = fs.readFileSync(path.join(dir, 'grad_flow_init.json'), 'utf8');
    fs.writeFileSync(path.join(dir, 'grad_flow_init.json'), '[1, 2');
    const { result } = await trainInProcess(['--resume', dir, '--steps', '30']);
    expect(result.status).toBe('completed');
    expect(fs.readFileSync(path.join(dir, 'grad_flow_init.json'), 'utf8')).toBe(original);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'grad_flow.json'), 'utf8')).init).toEqual(JSON.parse(original));
  });

  it("chars: the run's copy of its text changed since the run started is refused", async () => {
    const dir = path.join(root, 'chars');
    const text = path.join(root, 'text.txt');
    fs.writeFileSync(text, 'the quick brown fox jumps over the lazy dog. '.repeat(40));
    await trainInProcess(['--task', 'chars', '--text', text, '--seq-len', '8', '--units', '4', '--batch-size', '2', '--steps', '10', '--checkpoint-every', '5', '--sample-every', '0', '--out', dir]);
    fs.appendFileSync(text, 'a new line.'); // the original: no longer read on resume
    fs.appendFileSync(path.join(dir, 'text.txt'), 'a new line.'); // the run's copy
    const before = snapshot(dir);
    const e = await resumeError(dir);
    expect(e).toBeInstanceOf(UsageError);
    expect(e?.message).toMatch(/--resume: expected the text the run was trained on \(sha256 [0-9a-f]{64}\), got .*text\.txt with sha256/);
    expect(snapshot(dir)).toEqual(before);
  });
});
