/**
 * No import circle in the project's own code (src, scripts, benchmarks, test, examples): modules
 * form a graph that can be read from the leaves up, as STYLE.md's layout asks (scripts and
 * benchmarks import src; src imports neither). Type-only imports count too: a circle of types is
 * still two modules that cannot be read one before the other. Imports are read with TypeScript's
 * own scanner and resolved with tsconfig.json's settings (its `tfjs-rnn` path included).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const DIRS = ['src', 'scripts', 'benchmarks', 'test', 'examples'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function compilerOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) throw new Error(`expected a readable tsconfig.json, got: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  return ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT).options;
}

/** Each project file's imports (static, type-only, re-exports, import() and require()) among the project's files. */
export function importGraph(): Map<string, string[]> {
  const options = compilerOptions();
  const files = DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)));
  const own = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((ref) => ts.resolveModuleName(ref.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName)
      .filter((t): t is string => t !== undefined && own.has(path.resolve(t)))
      .map((t) => path.resolve(t));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The circles of a graph: each strongly connected component of more than one module (or a module
 * importing itself), as one cycle through it, starting from its first module in sorted order.
 */
export function findCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm, iterative over an explicit stack, so that deep graphs cannot overflow.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: Array<[string, number]> = [[start, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      if (i === 0) {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
      }
      const edges = graph.get(v) ?? [];
      if (i < edges.length) {
        frame[1]++;
        const w = edges[i];
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
      }
    }
  }
  return components.map((c) => cycleThrough(graph, new Set(c), c[0]));
}

/** A shortest cycle from `start` back to itself inside `members` (breadth-first). */
function cycleThrough(graph: ReadonlyMap<string, readonly string[]>, members: Set<string>, start: string): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const cycle = [v];
        while (cycle[0] !== start) cycle.unshift(from.get(cycle[0])!);
        return cycle;
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

test('findCircles finds a circle, a self-import and nothing in a tree', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c', 'd']],
    ['c', ['a']],
    ['d', []],
    ['e', ['e']],
    ['f', ['a', 'd']],
  ]);
  expect(findCircles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  expect(findCircles(new Map([['a', ['b']], ['b', []], ['c', ['a', 'b']]]))).toEqual([]);
});

test('the project has no import circle', () => {
  const graph = importGraph();
  // The scan sees the project, the `tfjs-rnn` path included.
  const index = path.join(ROOT, 'src', 'index.ts');
  expect(graph.get(index)?.length ?? 0).toBeGreaterThan(5);
  expect(graph.get(path.join(ROOT, 'examples', 'readme_example.ts'))).toContain(index);
  const circles = findCircles(graph).map((c) => [...c, c[0]].map((f) => path.relative(ROOT, f)).join(' → '));
  expect(circles).toEqual([]);
});
