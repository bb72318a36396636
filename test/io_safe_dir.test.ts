/**
 * SafeDir, the one reader of files from disk: relative paths inside the directory only, no link
 * followed (the file or any directory on the way), regular files only, sizes checked on the open
 * file before reading, exactly the declared bytes read. Every refusal names the file and why.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RefusedFileError, SafeDir } from '../src/io/safe_dir';
import { JsonField } from '../src/io/json_field';
import { tempDir } from './train_helpers';

describe('SafeDir', () => {
  const base = tempDir('safedir');
  const root = path.join(base, 'dir');
  const outside = path.join(base, 'outside.txt');
  beforeAll(() => {
    fs.mkdirSync(path.join(root, 'sub', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(root, 'a.bin'), Buffer.from([1, 2, 3, 4, 5]));
    fs.writeFileSync(path.join(root, 'sub', 'deeper', 'b.json'), '{"x": [1, 2]}');
    fs.writeFileSync(outside, 'outside the directory');
    fs.symlinkSync(outside, path.join(root, 'link.txt'));
    fs.symlinkSync(path.join(root, 'sub'), path.join(root, 'linkdir'));
    fs.symlinkSync('/dev/zero', path.join(root, 'zero'));
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('reads a file exactly, into a buffer of its own', () => {
    const d = SafeDir.open(root);
    const b = d.read('a.bin', { bytes: 5 });
    expect(Array.from(b)).toEqual([1, 2, 3, 4, 5]);
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(5);
    expect(d.readJSON('sub/deeper/b.json')).toEqual({ x: [1, 2] });
    expect(d.readJSON('./sub/deeper/b.json')).toEqual({ x: [1, 2] });
    expect(d.subdir('sub').readJSON('deeper/b.json')).toEqual({ x: [1, 2] });
  });

  const refusals: Array<[string, (d: SafeDir) => unknown, RegExp]> = [
    ['..', (d) => d.read('../outside.txt'), /dir: expected a relative path inside the directory, got "\.\.\/outside\.txt" \(it leaves the directory through '\.\.'\)/],
    ['.. further in', (d) => d.read('sub/../../outside.txt'), /leaves the directory/],
    ['an absolute path', (d) => d.read(outside), /\(absolute\)/],
    ['/dev/zero by name', (d) => d.read('/dev/zero'), /\(absolute\)/],
    ['a Windows path', (d) => d.read('C:\\x.bin'), /\(absolute\)/],
    ['backslashes', (d) => d.read('sub\\deeper\\b.json'), /backslashes/],
    ['an empty part', (d) => d.read('sub//deeper/b.json'), /an empty part/],
    ['an empty path', (d) => d.read(''), /got ""/],
    ['a link to a file outside', (d) => d.read('link.txt'), /link\.txt: expected a regular file, got a symbolic link/],
    ['a link to /dev/zero', (d) => d.read('zero'), /zero: expected a regular file, got a symbolic link/],
    ['a linked directory on the way', (d) => d.read('linkdir/deeper/b.json'), /linkdir\/deeper\/b\.json: expected .*linkdir to be a directory, got a symbolic link/],
    ['a linked directory as subdir', (d) => d.subdir('linkdir'), /linkdir: expected a directory, got a symbolic link/],
    ['a FIFO', (d) => d.read('fifo'), /fifo: expected a regular file, got a FIFO/],
    ['a directory', (d) => d.read('sub'), /sub: expected a regular file, got a directory/],
    ['a missing file', (d) => d.read('nope.bin'), /nope\.bin: expected a file, found none/],
    ['a size other than declared', (d) => d.read('a.bin', { bytes: 4 }), /a\.bin: expected 4 bytes \(as declared\), got 5/],
    ['a size over the bound', (d) => d.read('a.bin', { maxBytes: 4 }), /a\.bin: expected at most 4 bytes, got 5/],
    ['unparsable JSON', (d) => d.readJSON('a.bin'), /a\.bin: expected JSON, got unparsable text/],
  ];
  for (const [what, act, message] of refusals) {
    it(`refuses ${what}`, () => {
      const d = SafeDir.open(root);
      let caught: unknown;
      try {
        act(d);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(RefusedFileError);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('exists() says whether an entry is there, and refuses one of the wrong kind', () => {
    const d = SafeDir.open(root);
    expect(d.exists('a.bin', 'file')).toBe(true);
    expect(d.exists('nope', 'file')).toBe(false);
    expect(d.exists('sub', 'directory')).toBe(true);
    expect(() => d.exists('link.txt', 'file')).toThrow(/got a symbolic link/);
    expect(() => d.exists('linkdir', 'directory')).toThrow(/got a symbolic link/);
  });

  it('JsonField names the file and the field', () => {
    const f = new JsonField('x/config.json', { config: { units: 'abc', list: [1, -2] }, 'odd key': {} });
    expect(() => f.get('config').get('units').int(1)).toThrow('x/config.json: expected config.units to be an integer in [1, 9007199254740991], got "abc"');
    expect(() => f.get('config').get('list').items()[1].int()).toThrow('expected config.list[1] to be an integer in [0, 9007199254740991], got -2');
    expect(() => f.get('odd key').get('y').string()).toThrow('expected ["odd key"].y to be a string, got nothing');
    expect(() => f.get('config').get('units').oneOf(['a', 'b'])).toThrow('to be one of a, b, got "abc"');
  });
});
