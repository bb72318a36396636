/**
 * Which files of node_modules the device bundle needs: the closure of what the compiled entry
 * requires (require('x'), import … from 'x', import('x')), starting from the entry files and a few
 * packages named up front (those loaded through a variable name). Each reached file is copied with
 * its package's package.json; nothing else of a package is (tfjs's packages ship every bundle
 * format and source maps: 300 MB, of which Node needs one file each).
 */
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

const BUILTIN = new Set(builtinModules);
const SPECIFIER = /\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

export interface Closure {
  /** Files under root/node_modules, relative to root. */
  files: string[];
  /** Bare specifiers that did not resolve (optional packages such as tfjs-node-gpu, or text in strings). */
  unresolved: string[];
}

function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || BUILTIN.has(spec) || BUILTIN.has(spec.split('/')[0]);
}

/**
 * Every package.json from a file's folder up to its package's root (a folder inside node_modules,
 * or inside a @scope there): Node reads the root's for `main` and `exports`, and the nested ones
 * (such as dist/cjs/package.json) for the module type.
 */
function packageJsonsOf(file: string): string[] {
  const out: string[] = [];
  let dir = path.dirname(file);
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir || path.basename(dir) === 'node_modules') return out;
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) out.push(p);
    const atRoot = path.basename(parent) === 'node_modules' || (path.basename(parent).startsWith('@') && path.basename(path.dirname(parent)) === 'node_modules');
    if (atRoot) return out;
    dir = parent;
  }
}

/**
 * Closure over `entries` (absolute .js files; their bare requires resolve from `root`) and the bare
 * package names in `extra`. Files inside root/node_modules are followed and listed; .node and .json
 * files are listed but not scanned.
 */
export function moduleClosure(root: string, entries: string[], extra: string[]): Closure {
  const nm = path.join(root, 'node_modules') + path.sep;
  const seen = new Set<string>();
  const unresolved = new Set<string>();
  const queue: string[] = [];
  const add = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    queue.push(file);
    if (file.startsWith(nm)) packageJsonsOf(file).forEach((p) => seen.add(p));
  };
  const resolveFrom = (spec: string, dir: string): void => {
    try {
      add(require.resolve(spec, { paths: [dir] }));
    } catch {
      if (!spec.startsWith('.')) unresolved.add(spec);
    }
  };
  entries.forEach((e) => add(e));
  extra.forEach((name) => resolveFrom(name, root));
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (!/\.(c|m)?js$/.test(file)) continue;
    const inTree = file.startsWith(nm);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (isBuiltin(spec)) continue;
      const relative = spec.startsWith('.') || spec.startsWith('/');
      // Our compiled files sit outside root: their packages resolve from root.
      resolveFrom(spec, relative || inTree ? path.dirname(file) : root);
    }
  }
  const files = [...seen].filter((f) => f.startsWith(nm)).map((f) => path.relative(root, f)).sort();
  // What looks like a package name: the rest are words inside strings that merely read like require calls.
  return { files, unresolved: [...unresolved].filter((u) => /^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]+)?$/.test(u)).sort() };
}
