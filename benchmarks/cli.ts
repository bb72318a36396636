/** The flags of `npm run bench` (also read by breakdown.ts): defaults, help, parsing and checks. */
import * as path from 'path';
import { parseArgs as parseFlags } from 'util';
import { CELL_NAMES, CellName } from './cells';
import { ALL_FAMILIES } from './impls';
import { BACKEND_ENV_VAR, parseBackendName } from './platform';
import { parseShape, SHAPES } from './shapes';
import type { BenchOptions } from './types';

// ---- config ------------------------------------------------------------------------------------
const DEFAULT_BACKENDS = 'cpu, wasm, webgpu'; // what runs without --backend (see bench.ts)
const DEFAULTS = {
  reps: 5, // timed repetitions per implementation (fewer when the budget says so)
  warmup: 2, // untimed calls first (1 when one call is already slow)
  budgetS: 60, // seconds allowed per implementation × shape × backend, warm-up and profiling included
  profileT: 10, // kernel counting at T1 = min(T, profileT) and 2·T1 steps
  seed: 1, // weights and inputs
  torchThreads: 1, // torch.set_num_threads: 1 matches wasm's single thread in Node
};
const QUICK = { reps: 5, warmup: 1, budgetS: 30 }; // --quick: the cell's two small shapes, and these
/** Fresh results go here, an ignored folder; the committed reference runs sit one level up. */
export const DEFAULT_OUT = path.join(__dirname, 'results', 'local');
// -------------------------------------------------------------------------------------------------

export const HELP = `usage: npm run bench -- [options]

Times our cells against tf.layers, a plain autodiff loop and torch, on every backend that loads
(${DEFAULT_BACKENDS}; webgpu on a software adapter only when named), and writes
<backend>-<date>.json, latest.md, latest.svg and ratios.svg (a -<cell> suffix for lstm and gru,
-quick for --quick) to --out.

  --cell C[,C]       simple | lstm | gru (default simple)
  --backend B[,B]    cpu, wasm, webgpu, tensorflow (default: all that load; or $${BACKEND_ENV_VAR})
  --shapes S[,S]     ${Object.keys(SHAPES).join(', ')} or like B32xT250xD32xH100 (default: simple S1–S4, lstm and gru S5, S3)
  --fit              instead: model.fit() with our drop-in layers vs tf.layers, same weights (benchmarks/fit.ts;
                     default --cell lstm,gru, --backend wasm, shapes B32xT50xD32xH64 and B64xT100xD128xH256)
  --dropout R        with --fit: dropout and recurrentDropout R in both models (0 < R < 1)
  --quick            the cell's two small shapes, ${QUICK.reps} reps, ${QUICK.warmup} warm-up, ${QUICK.budgetS} s budget
  --reps N           timed repetitions (default ${DEFAULTS.reps})
  --warmup N         untimed calls first (default ${DEFAULTS.warmup})
  --budget S         seconds per implementation × shape × backend (default ${DEFAULTS.budgetS}); over it: listed as skipped
  --impls F[,F]      ${ALL_FAMILIES.join(', ')} (default all)
  --profile-t N      kernel counting at T′ = min(T, N) and 2T′ (default ${DEFAULTS.profileT})
  --no-torch         skip torch;  --python PATH (or $TORCH_PYTHON): the python that has torch
  --torch-threads N  torch.set_num_threads (default ${DEFAULTS.torchThreads}, like wasm)
  --seed N           weights and inputs (default ${DEFAULTS.seed})
  --out DIR          default ${path.relative(process.cwd(), DEFAULT_OUT) || '.'} (ignored by git)
  --quiet            no progress lines
`;

const S = { type: 'string' } as const;
const FLAG = { type: 'boolean' } as const;
const OPTIONS = {
  backend: S, cell: S, shapes: S, dropout: S, reps: S, warmup: S, budget: S, out: S, impls: S, python: S,
  'profile-t': S, seed: S, 'torch-threads': S, fit: FLAG, quick: FLAG, 'no-torch': FLAG, quiet: FLAG, help: FLAG,
};

function flagValues(argv: string[]) {
  try {
    return parseFlags({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new Error(err.message);
    const given = /'([^']+)'/.exec(err.message)?.[1] ?? '?';
    throw new Error(`unknown option ${given}; expected one of ${Object.keys(OPTIONS).map((f) => '--' + f).join(' ')}`);
  }
}

/** A comma list, each item checked against `allowed`. */
function listOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`expected --${flag} from ${allowed.join(',')}, got '${item}'`);
  }
  return items as T[];
}

/** Whether argv asks for the help text. */
export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help');
}

/** Parses and checks argv (without node and the script); throws an Error naming what was expected. */
export function parseArgs(argv: string[]): BenchOptions {
  const v = flagValues(argv);
  const quick = v.quick === true;
  const num = (name: 'reps' | 'warmup' | 'budget' | 'profile-t' | 'seed' | 'torch-threads', dflt: number): number => {
    const given = v[name];
    if (given === undefined) return dflt;
    const n = Number(given);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number for --${name}, got '${given}'`);
    return n;
  };
  const rate = (given: string): number => {
    const n = Number(given);
    if (!/^\d*\.?\d+$/.test(given) || !(n > 0 && n < 1)) throw new Error(`expected --dropout to be a number in (0, 1), got '${given}'`);
    if (v.fit !== true) throw new Error('expected --dropout with --fit (it sets the layers of the fit() comparison), got it without');
    return n;
  };
  const backends = v.backend ?? process.env[BACKEND_ENV_VAR];
  return {
    // --backend a,b or TFJS_RNN_BACKEND; names checked up front (an unknown one is an error).
    backends: backends?.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseBackendName(s)),
    cells: v.cell === undefined ? (v.fit === true ? ['lstm', 'gru'] : ['simple']) : listOf<CellName>('cell', v.cell, CELL_NAMES),
    fit: v.fit === true,
    dropout: v.dropout === undefined ? undefined : rate(v.dropout),
    shapes: v.shapes?.split(',').map((s) => parseShape(s.trim())),
    reps: Math.round(num('reps', quick ? QUICK.reps : DEFAULTS.reps)),
    warmup: Math.round(num('warmup', quick ? QUICK.warmup : DEFAULTS.warmup)),
    budgetS: num('budget', quick ? QUICK.budgetS : DEFAULTS.budgetS),
    outDir: v.out ?? DEFAULT_OUT,
    families: listOf('impls', v.impls ?? ALL_FAMILIES.join(','), ALL_FAMILIES),
    torch: v['no-torch'] === true ? 'off' : 'auto',
    torchThreads: Math.round(num('torch-threads', DEFAULTS.torchThreads)),
    python: v.python,
    profileT: Math.round(num('profile-t', DEFAULTS.profileT)),
    quick,
    seed: Math.round(num('seed', DEFAULTS.seed)),
    quiet: v.quiet === true,
  };
}
