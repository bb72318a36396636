/**
 * A checkpoint is untrusted input. Its newest checkpoint is replaced by a crafted one (checksums
 * recomputed, as an attacker or a buggy tool would): paths out of the directory, links, special
 * files, sizes and shapes that do not match the bytes, a bad step, a bad dtype, renamed groups.
 * Each is refused with a reason, the previous good checkpoint is used, and nothing outside the
 * checkpoint is ever opened. A manifest edited without its checksum is caught by the checksum.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint';
import { craftManifest, ManifestDoc, recordOpens, sha256Of, tempDir, tinyCheckpoint } from './train_helpers';

interface Setup {
  root: string;
  newest: string;
  /** A directory beside the checkpoints with files no checkpoint may reach. */
  outside: string;
  /** outside/secret.bin: the same bytes as the newest model.bin, so its sha256 matches. */
  secret: string;
}

function setUp(): Setup {
  const base = tempDir('manifest');
  const root = path.join(base, 'run', 'checkpoint');
  saveCheckpoint(root, tinyCheckpoint(10));
  const newest = saveCheckpoint(root, tinyCheckpoint(20));
  const outside = path.join(base, 'outside');
  fs.mkdirSync(outside);
  const secret = path.join(outside, 'secret.bin');
  fs.copyFileSync(path.join(newest, 'model.bin'), secret);
  return { root, newest, outside, secret };
}

/** Points the model group at another file name, keeping size and sha256 (they match the secret). */
function repoint(to: string): (m: ManifestDoc) => void {
  return (m) => {
    m.files[to] = m.files['model.bin'];
    delete m.files['model.bin'];
  };
}

const model = (m: ManifestDoc): ManifestDoc['files'][string] => m.files['model.bin'];

const cases: Array<[string, (s: Setup) => void, RegExp]> = [
  ['S1: a key ../../../outside/secret.bin (size and sha256 match)', (s) => craftManifest(s.newest, repoint('../../../outside/secret.bin')), /files are named after their group|leaves the directory/],
  ['S1: an absolute key (the secret, by its full path)', (s) => craftManifest(s.newest, repoint(s.secret)), /files are named after their group|absolute/],
  ['S1: a key /etc/passwd', (s) => craftManifest(s.newest, repoint('/etc/passwd')), /files are named after their group|absolute/],
  ['S2: a key /dev/zero', (s) => craftManifest(s.newest, repoint('/dev/zero')), /files are named after their group|absolute/],
  ['S2: model.bin a link to /dev/zero', (s) => {
    fs.rmSync(path.join(s.newest, 'model.bin'));
    fs.symlinkSync('/dev/zero', path.join(s.newest, 'model.bin'));
  }, /model\.bin: expected a regular file, got a symbolic link/],
  ['S3: model.bin a link to a file outside with the right bytes', (s) => {
    fs.rmSync(path.join(s.newest, 'model.bin'));
    fs.symlinkSync(s.secret, path.join(s.newest, 'model.bin'));
  }, /model\.bin: expected a regular file, got a symbolic link/],
  ['the checkpoint directory a link to a copy outside', (s) => {
    fs.cpSync(s.newest, path.join(s.outside, 'ckpt'), { recursive: true });
    fs.rmSync(s.newest, { recursive: true });
    fs.symlinkSync(path.join(s.outside, 'ckpt'), s.newest);
  }, /expected a directory, got a symbolic link/],
  ['manifest.json a link to a copy outside', (s) => {
    fs.renameSync(path.join(s.newest, 'manifest.json'), path.join(s.outside, 'manifest.json'));
    fs.symlinkSync(path.join(s.outside, 'manifest.json'), path.join(s.newest, 'manifest.json'));
  }, /manifest\.json: expected a regular file, got a symbolic link/],
  ['model.bin a FIFO (a read would wait forever)', (s) => {
    fs.rmSync(path.join(s.newest, 'model.bin'));
    execFileSync('mkfifo', [path.join(s.newest, 'model.bin')]);
  }, /model\.bin: expected a regular file, got a FIFO/],
  ['model.bin a directory', (s) => {
    fs.rmSync(path.join(s.newest, 'model.bin'));
    fs.mkdirSync(path.join(s.newest, 'model.bin'));
  }, /model\.bin: expected a regular file, got a directory/],
  ['a declared shape [1e9, 1e9]', (s) => craftManifest(s.newest, (m) => void (model(m).arrays[0].shape = [1e9, 1e9])), /length to be 1000000000000000000, the product of shape/],
  ['a length that does not match the shape', (s) => craftManifest(s.newest, (m) => void (model(m).arrays[0].length = 5)), /length/],
  ['a declared size of 1e15 bytes', (s) => craftManifest(s.newest, (m) => void (model(m).bytes = 1e15)), /bytes to be an integer in/],
  ['a declared size one byte short', (s) => craftManifest(s.newest, (m) => void (model(m).bytes -= 1)), /arrays\[0\]\.length to be an integer in \[0, 5\]/],
  ['arrays that overlap', (s) => craftManifest(s.newest, (m) => {
    const a = model(m).arrays[0];
    model(m).arrays.push({ ...a, name: 'w2', offset: 0 });
  }), /offset to be 24 \(arrays are laid end to end\)/],
  ['a renamed group (file model.bin, group weights)', (s) => craftManifest(s.newest, (m) => void (model(m).group = 'weights')), /files are named after their group/],
  ['a step of -5', (s) => craftManifest(s.newest, (m) => void (m.step = -5)), /step to be an integer in \[0, /],
  ['a step of 2.5', (s) => craftManifest(s.newest, (m) => void (m.step = 2.5)), /step to be an integer/],
  ['a step that is not the directory\'s (10 in ckpt-00000020)', (s) => craftManifest(s.newest, (m) => void (m.step = 10)), /step to be 20 \(the step in the directory's name/],
  ['a dtype complex64', (s) => craftManifest(s.newest, (m) => void (model(m).arrays[0].dtype = 'complex64')), /dtype to be one of float32, int32/],
  ['a manifest edited without its checksum', (s) => {
    const f = path.join(s.newest, 'manifest.json');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"position": 20', '"position": 21'));
  }, /manifest\.json: expected sha256 [0-9a-f]{64} \(from manifest\.sha256\), got/],
  ['a version 2 manifest without its checksum file', (s) => fs.rmSync(path.join(s.newest, 'manifest.sha256')), /manifest\.sha256: expected the checksum of a version 2 manifest, found none/],
  ['manifest.json that is not UTF-8', (s) => craftManifestBytes(s.newest, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /manifest\.json: expected UTF-8 text/],
];

/** Replaces manifest.json with raw bytes and re-signs them. */
function craftManifestBytes(dir: string, bytes: Buffer): void {
  fs.writeFileSync(path.join(dir, 'manifest.json'), bytes);
  fs.writeFileSync(path.join(dir, 'manifest.sha256'), `${sha256Of(bytes)}  manifest.json\n`);
}

describe('a crafted newest checkpoint is refused; the previous good one is used', () => {
  for (const [what, damage, reason] of cases) {
    it(what, () => {
      const s = setUp();
      damage(s);
      const opens = recordOpens();
      let ck;
      try {
        ck = loadCheckpoint(s.root);
      } finally {
        const opened = opens.stop();
        // Nothing outside the checkpoint directory: not the secret, not /dev/zero, not /etc.
        expect(opened.filter((p) => !p.startsWith(s.root + path.sep))).toEqual([]);
        expect(opened).toContain(path.join(s.root, 'ckpt-00000010', 'model.bin')); // the recording works
      }
      expect(ck?.step).toBe(10);
      expect(Array.from(ck?.groups.model[0].data ?? [])).toEqual([1, 2, 3, 4, 5, 10]);
      expect(ck?.skipped.length).toBe(1);
      expect(ck?.skipped[0]).toMatch(/^ckpt-00000020: /);
      expect(ck?.skipped[0]).toMatch(reason);
      fs.rmSync(path.dirname(path.dirname(s.root)), { recursive: true, force: true });
    });
  }

  it('when no checkpoint passes, the error lists every reason', () => {
    const s = setUp();
    craftManifest(s.newest, (m) => void (m.step = -5));
    craftManifest(path.join(s.root, 'ckpt-00000010'), (m) => void (model(m).arrays[0].dtype = 'complex64'));
    expect(() => loadCheckpoint(s.root)).toThrow(/expected a readable checkpoint, got only bad ones:\n  ckpt-00000020: .*step.*\n  ckpt-00000010: .*dtype/);
    fs.rmSync(path.dirname(path.dirname(s.root)), { recursive: true, force: true });
  });

  it('a version 1 checkpoint (written before manifests had a checksum) is still read, with the other checks', () => {
    const s = setUp();
    craftManifest(s.newest, (m) => void (m.version = 1));
    fs.rmSync(path.join(s.newest, 'manifest.sha256'));
    expect(loadCheckpoint(s.root)?.step).toBe(20);
    craftManifest(s.newest, (m) => void (m.step = -5));
    expect(loadCheckpoint(s.root)?.step).toBe(10);
    fs.rmSync(path.dirname(path.dirname(s.root)), { recursive: true, force: true });
  });

  it('the checksum file is in sha256sum format', () => {
    const s = setUp();
    const line = fs.readFileSync(path.join(s.newest, 'manifest.sha256'), 'utf8');
    expect(line).toBe(`${sha256Of(fs.readFileSync(path.join(s.newest, 'manifest.json')))}  manifest.json\n`);
    fs.rmSync(path.dirname(path.dirname(s.root)), { recursive: true, force: true });
  });
});
