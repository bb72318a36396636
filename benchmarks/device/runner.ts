/**
 * The device run's entry (run.sh calls it once per stage, each under its own time guard):
 *
 *   node runner.js doctor OUT
 *   node runner.js proofs OUT
 *   node runner.js bench OUT [BUDGET_S]     (default 200 s)
 *   node runner.js report OUT               OUT/gpu-report.json and OUT/gpu-report.md
 *
 * Also runnable from the checkout: npx ts-node --transpile-only benchmarks/device/runner.ts proofs OUT
 */
import { writeReport } from './gpu_report';
import { partFile, readPart, StageName } from './parts';
import { benchStage, doctorStage, proofsStage } from './stages';
import writeFileAtomic from 'write-file-atomic';

const USAGE = 'usage: runner doctor|proofs|bench|report OUT [BUDGET_S]';

async function main(argv: string[]): Promise<number> {
  const [stage, outDir, budget] = argv;
  if (outDir === undefined) throw new Error(`expected a stage and an output folder, got '${argv.join(' ')}'; ${USAGE}`);
  switch (stage) {
    case 'doctor':
      await guarded('doctor', outDir, () => doctorStage(outDir));
      return 0;
    case 'proofs':
      await guarded('proofs', outDir, () => proofsStage(outDir));
      return (readPart<{ pass: boolean }>(outDir, 'proofs')?.items ?? []).every((r) => r.pass) ? 0 : 1;
    case 'bench': {
      const s = budget === undefined ? 200 : Number(budget);
      if (!Number.isFinite(s) || s <= 0) throw new Error(`expected a positive budget in seconds, got '${budget}'`);
      await guarded('bench', outDir, () => benchStage(outDir, s));
      return 0;
    }
    case 'report': {
      const r = writeReport(outDir);
      console.log(`adapter: ${r.adapterName ?? 'none'}; proofs ${r.proofs.passed}/${r.proofs.total} passed; ${r.bench.length} benchmark combinations`);
      return r.proofs.allPassed ? 0 : 1;
    }
    default:
      throw new Error(`expected a stage doctor|proofs|bench|report, got '${stage}'; ${USAGE}`);
  }
}

/** Runs a stage; when it throws, records why in its part file, then rethrows. */
async function guarded(stage: StageName, outDir: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    const part = readPart<unknown>(outDir, stage) ?? { stage, startedAt: new Date().toISOString(), items: [] };
    part.error = e instanceof Error ? e.message : String(e);
    writeFileAtomic.sync(partFile(outDir, stage), JSON.stringify(part, null, 1) + '\n');
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`runner: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
