/**
 * The published build has no source maps: the package ships dist/ without src/ (test/package checks
 * the tarball), and a map whose sources are missing only sends a debugger to files that are not
 * there. The development config keeps its maps (ts-node, ts-jest: stack traces in .ts lines).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');

function options(file: string): ts.CompilerOptions {
  const read = ts.readConfigFile(path.join(root, file), ts.sys.readFile);
  return ts.parseJsonConfigFileContent(read.config, ts.sys, root).options;
}

test('tsconfig.build.json emits no maps unless package.json ships what they point at', () => {
  const build = options('tsconfig.build.json');
  const files = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] }).files;
  const shipsSource = files.includes('src');
  if (!shipsSource) {
    expect(build.sourceMap).toBe(false);
    expect(build.declarationMap).toBe(false);
    expect(build.inlineSourceMap ?? false).toBe(false);
  }
  expect(options('tsconfig.json').sourceMap).toBe(true);
});
