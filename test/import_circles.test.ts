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

/**
 * The training app (src/train, scripts) and the benchmark harness (benchmarks) use the library as a
 * user would: through its public entry points, src/index.ts (`tfjs-rnn`) and src/testing.ts
 * (`tfjs-rnn/testing`), besides their own modules. The exceptions, each named with what it may
 * take and why:
 */
const APP_EXCEPTIONS: Array<{ from: RegExp; target: string; names: string[]; why: string }> = [
  {
    from: /^src\/train\//,
    target: 'src/io/json_field.ts',
    names: ['JsonField'],
    why: "the run folder's JSON files (config, checkpoint manifest) get the library's own typed, untrusted-file reads; no user of the layers needs them",
  },
  {
    from: /^src\/train\//,
    target: 'src/io/safe_dir.ts',
    names: ['decodeJSON', 'decodeText', 'DEFAULT_MAX_BYTES'],
    why: "the checkpoint and the corpus are decoded with the library's own checks (SafeDir and RefusedFileError come from the index)",
  },
  ...['benchmarks/fused.ts', 'benchmarks/device/proofs.ts'].map((file) => ({
    from: new RegExp(`^${file.replace(/[./]/g, '\\$&')}$`),
    target: 'src/platform/webgpu/fused/lstm_loop.ts',
    names: ['disposeTape', 'fusedLSTMBackward', 'fusedLSTMForward'],
    why: 'the fused WebGPU LSTM loop is measured (and proven on the device) standalone, beside the layers that run it on webgpu: an internal of the layers, it has no public name',
  })),
  {
    from: /^benchmarks\/fused\.ts$/,
    target: 'src/platform/webgpu/fused/gru_loop.ts',
    names: ['disposeGRUTape', 'fusedGRUBackward', 'fusedGRUForward'],
    why: 'the fused WebGPU GRU loop is measured standalone, beside the layers that run it on webgpu: an internal of the layers, it has no public name',
  },
  {
    from: /^benchmarks\/fused\.ts$/,
    target: 'src/platform/webgpu/fused/simple_rnn.ts',
    names: ['fusedSimpleRNNBackward', 'fusedSimpleRNNForward'],
    why: 'the fused WebGPU SimpleRNN loop is measured standalone, beside the layers that run it on webgpu: an internal of the layers, it has no public name',
  },
  ...[
    ['src/platform/index.ts', ['initBackend']],
    ['src/platform/backend/wasm_heap.ts', ['TensorInfo', 'wasmHeapBackend']],
    ['src/scan/split_columns.ts', ['splitColumns']],
    ['src/seeded.ts', ['seededTensor']],
  ].map(([target, names]) => ({
    from: /^benchmarks\/wasm_gates\.ts$/,
    target: target as string,
    names: names as string[],
    why: 'a rejected experiment kept to reproduce its figures (NOTES.md): a gate kernel on the wasm heap, measured against the driver internals it would replace',
  })),
];

const rel = (f: string): string => path.relative(ROOT, f).split(path.sep).join('/');
const isApp = (r: string): boolean => /^(src\/train|scripts|benchmarks)\//.test(r);
const PUBLIC = new Set(['src/index.ts', 'src/testing.ts']);

/** The names a file imports (or re-exports) from a module specifier that resolves to `target`. */
function namesImported(file: string, target: string): string[] {
  const options = compilerOptions();
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s) && !ts.isExportDeclaration(s)) continue;
    const spec = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
    if (spec === undefined) continue;
    const resolved = ts.resolveModuleName(spec, file, options, ts.sys).resolvedModule?.resolvedFileName;
    if (resolved === undefined || rel(path.resolve(resolved)) !== target) continue;
    const bindings = ts.isImportDeclaration(s) ? s.importClause?.namedBindings : s.exportClause;
    if (bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings))) {
      names.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
    } else names.push('*'); // a namespace import, a default import or `export *`
  }
  return names;
}

/** Each import from the app into the library that is neither a public entry nor an allowed exception. */
export function appImportsOutsideTheFace(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    const from = rel(file);
    if (!isApp(from)) continue;
    for (const t of targets.map(rel)) {
      if (!t.startsWith('src/') || isApp(t) || PUBLIC.has(t)) continue;
      const allowed = APP_EXCEPTIONS.find((e) => e.from.test(from) && e.target === t);
      const extra = allowed ? namesImported(path.join(ROOT, from), t).filter((n) => !allowed.names.includes(n)) : ['(not an exception)'];
      if (extra.length > 0) wrong.push(`${from} → ${t}: ${extra.join(', ')}`);
    }
  }
  return wrong.sort();
}

test('the training app and the benchmarks import the library only through src/index.ts and src/testing.ts', () => {
  const graph = importGraph();
  // The rule sees the app's imports (the trainer uses the index; the benchmarks the oracles).
  expect(graph.get(path.join(ROOT, 'src', 'train', 'trainer.ts'))).toContain(path.join(ROOT, 'src', 'index.ts'));
  expect(graph.get(path.join(ROOT, 'benchmarks', 'cells.ts'))).toContain(path.join(ROOT, 'src', 'testing.ts'));
  expect(appImportsOutsideTheFace(graph)).toEqual([]);
  // and it would see a breach: an app file that reached into the driver
  const breach = new Map(graph);
  breach.set(path.join(ROOT, 'scripts', 'train.ts'), [path.join(ROOT, 'src', 'scan', 'scan.ts')]);
  expect(appImportsOutsideTheFace(breach)).toEqual(['scripts/train.ts → src/scan/scan.ts: (not an exception)']);
  // an exception is checked name by name: the checkpoint takes two of safe_dir's three, the rest from the index
  expect(namesImported(path.join(ROOT, 'src', 'train', 'checkpoint.ts'), 'src/io/safe_dir.ts')).toEqual(['decodeJSON', 'DEFAULT_MAX_BYTES']);
  expect(APP_EXCEPTIONS.every((e) => e.why.length > 20)).toBe(true);
});
