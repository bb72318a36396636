/**
 * A damaged checkpoint is detected (checksum, size, unparsable or missing manifest) and the
 * newest good one is used instead; a crash mid-write (a leftover temporary directory) is ignored.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint';
import { tempDir, tinyCheckpoint as contents } from './train_helpers';

const damages: Array<[string, (dir: string) => void]> = [
  ['a flipped byte', (dir) => {
    const f = path.join(dir, 'model.bin');
    const b = fs.readFileSync(f);
    b[3] ^= 0xff;
    fs.writeFileSync(f, b);
  }],
  ['a truncated weights file', (dir) => fs.truncateSync(path.join(dir, 'model.bin'), 10)],
  ['a truncated manifest', (dir) => fs.truncateSync(path.join(dir, 'manifest.json'), 20)],
  ['a missing manifest', (dir) => fs.rmSync(path.join(dir, 'manifest.json'))],
];

describe('checkpoint damage', () => {
  for (const [what, damage] of damages) {
    it(`${what}: falls back to the previous checkpoint and says why`, () => {
      const root = tempDir('ckpt');
      saveCheckpoint(root, contents(10));
      const newest = saveCheckpoint(root, contents(20));
      damage(newest);
      const ck = loadCheckpoint(root);
      expect(ck?.step).toBe(10);
      expect(Array.from(ck?.groups.model[0].data ?? [])).toEqual([1, 2, 3, 4, 5, 10]);
      expect(ck?.groups.optimizer[0].dtype).toBe('int32');
      expect(ck?.skipped.length).toBe(1);
      expect(ck?.skipped[0]).toMatch(/^ckpt-00000020: (model\.bin|manifest\.json): expected/);
      fs.rmSync(root, { recursive: true, force: true });
    });
  }

  it('keeps only the newest two; a leftover temporary directory is ignored', () => {
    const root = tempDir('ckpt');
    for (const s of [5, 10, 15]) saveCheckpoint(root, contents(s));
    fs.mkdirSync(path.join(root, '.tmp-ckpt-00000020-999'));
    fs.writeFileSync(path.join(root, '.tmp-ckpt-00000020-999', 'model.bin'), 'half');
    expect(fs.readdirSync(root).filter((n) => n.startsWith('ckpt-')).sort()).toEqual(['ckpt-00000010', 'ckpt-00000015']);
    expect(fs.readFileSync(path.join(root, 'LATEST'), 'utf8').trim()).toBe('ckpt-00000015');
    expect(loadCheckpoint(root)?.step).toBe(15);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('when every checkpoint is damaged, loading fails with the reasons', () => {
    const root = tempDir('ckpt');
    damages[0][1](saveCheckpoint(root, contents(10)));
    expect(() => loadCheckpoint(root)).toThrow(/: expected a readable checkpoint, got only bad ones:\n  ckpt-00000010: model\.bin: expected sha256/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
