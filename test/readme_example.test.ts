/** The README's API example is examples/readme_example.ts verbatim, and it runs as written. */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expectNoLeak } from './helpers';

test('README contains examples/readme_example.ts verbatim', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const example = fs.readFileSync(path.join(__dirname, '..', 'examples', 'readme_example.ts'), 'utf8');
  expect(readme).toContain('```ts\n' + example + '```');
});

test('the example runs: prints the backend, 42, the gradient shapes, and leaks nothing', async () => {
  process.env.TFJS_RNN_BACKEND = 'cpu';
  const logs: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    logs.push(a.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' '));
  });
  await expectNoLeak(async () => {
    try {
      require('../examples/readme_example');
      // main() is async: wait for its last log line.
      for (let i = 0; i < 400 && logs.length < 4; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      spy.mockRestore();
      delete process.env.TFJS_RNN_BACKEND;
    }
    expect(logs[1]).toBe('42');
    expect(logs[2]).toBe('[10,3] [3,3] [3] [8,2,10] [8,3]');
    // The example's last line is the tensor count it ends with: the count it started from.
    expect(logs[3]).toBe(String(tf.memory().numTensors));
  });
});
