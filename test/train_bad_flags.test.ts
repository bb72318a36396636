/**
 * Bad flags fail fast: a message naming the flag, what was expected and what was given, the usage
 * line, exit code 2, and nothing written to --out.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HELP, parseTrainArgs } from '../src/train/cli';
import { UsageError } from '../src/train/errors';
import { prepareRun } from '../src/train/run_setup';
import { spawnTrain, tempDir } from './train_helpers';

function usageErrorOf(argv: string[]): string {
  try {
    const parsed = parseTrainArgs(argv);
    if (parsed.kind !== 'help') prepareRun(parsed);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}, got none`);
}

describe('bad flags', () => {
  const root = tempDir('flags');
  const out = path.join(root, 'run');

  const cases: Array<[string[], RegExp]> = [
    [['--task', 'translate'], /--task: expected one of adding, sine, sentiment, chars, got 'translate'/],
    [['--steps', '-5'], /--steps|argument missing|ambiguous/i],
    [['--steps=-5'], /--steps: expected an integer in \[1, 1000000000\], got '-5'/],
    [['--batch-size', '0'], /--batch-size: expected an integer in \[1, 4096\], got '0'/],
    [['--units', '2.5'], /--units: expected an integer in \[1, 4096\], got '2.5'/],
    [['--seq-len', 'ten'], /--seq-len: expected an integer in \[1, 10000\], got 'ten'/],
    [['--lr', '-0.1'], /--lr|argument missing|ambiguous/i],
    [['--lr=-0.1'], /--lr: expected a decimal number in \(0, 1000000\], got '-0.1'/],
    [['--optimizer', 'rmsprop'], /--optimizer: expected one of sgd, momentum, adam, got 'rmsprop'/],
    [['--backend', 'cuda'], /--backend: expected one of .*cpu.*, got 'cuda'/],
    [['--task', 'chars', '--text', '/no/such/file.txt'], /--text: expected a readable file, got '\/no\/such\/file.txt'/],
    [['--text', 'data/default.txt'], /--text: expected only with --task chars/],
    [['--steps', '5', '--epochs', '1'], /expected --steps or --epochs, got both/],
    [['--colour', 'blue'], /--colour: expected one of the flags in --help, got an unknown option$/],
    [['--cell', 'rnn'], /--cell: expected one of simple, lstm, gru, got 'rnn'/],
    [['--layers', '0'], /--layers: expected an integer in \[1, 16\], got '0'/],
    [['--reset-after'], /--reset-after: expected only with --cell gru, got --cell simple/],
    [['--cell', 'lstm', '--reset-after'], /--reset-after: expected only with --cell gru, got --cell lstm/],
    [['--task', 'chars', '--bidirectional'], /--bidirectional: expected a task that reads the whole sequence before answering .*, got --task chars/],
    [['--reset-after=yes'], /--reset-after.*does not take an argument/],
  ];
  for (const [argv, message] of cases) {
    it(`${argv.join(' ')}`, () => {
      expect(usageErrorOf([...argv, '--out', out])).toMatch(message);
      expect(fs.existsSync(out)).toBe(false);
    });
  }

  it('--help documents the model flags', () => {
    for (const flag of ['--cell NAME', '--reset-after', '--layers N', '--bidirectional']) expect(HELP).toContain(`  ${flag} `);
  });

  it('--resume of a directory that is not a run', () => {
    expect(usageErrorOf(['--resume', '/no/such/run'])).toMatch(/--resume: expected a run directory with config.json, got '\/no\/such\/run'/);
  });

  it('a non-empty --out is refused (it would mix two runs)', () => {
    const used = path.join(root, 'used');
    fs.mkdirSync(used);
    fs.writeFileSync(path.join(used, 'x'), '');
    expect(usageErrorOf(['--out', used])).toMatch(/--out: expected a new or empty directory/);
  });

  it('the script prints the message and the usage line, exits 2, writes nothing', async () => {
    const run = spawnTrain(['--task', 'adding', '--units', '-3', '--out', out]);
    const r = await run.done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--units/m);
    expect(r.stderr).toMatch(/^usage: npm run train -- /m);
    expect(fs.existsSync(out)).toBe(false);
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
});
