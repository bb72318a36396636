/**
 * npm run doctor [-- --backend NAME] [--gpu] [--json] [--timeout SECONDS]
 *
 *   --backend NAME   exit 1 when NAME (tensorflow | webgpu | wasm | cpu | auto) cannot run here
 *   --gpu            exit 1 unless a GPU backend works (tensorflow with CUDA, or webgpu on hardware)
 *   --json           print the report (findings, verdicts and raw facts) as JSON
 *   --timeout SEC    limit for loading tfjs-node-gpu and running its first op (default 180; on
 *                    Hopper GPUs the first op JIT-compiles PTX and can take much longer)
 */
import { BACKEND_FLAG_HELP, backendFlagFromArgv, formatDoctorReport, runDoctor } from '../src';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      'npm run doctor [-- options]\n' +
        `  ${BACKEND_FLAG_HELP}\n` +
        '  --gpu            fail unless a GPU backend works\n' +
        '  --json           machine-readable output\n' +
        '  --timeout SEC    limit for loading tfjs-node-gpu and its first op (default 180)\n',
    );
    return 0;
  }
  const requested = backendFlagFromArgv(argv) ?? 'auto';
  const timeoutIdx = argv.indexOf('--timeout');
  const timeoutSec = timeoutIdx >= 0 ? Number(argv[timeoutIdx + 1]) : 180;
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
    throw new Error(`--timeout: expected a positive number of seconds, got '${argv[timeoutIdx + 1]}'`);
  }
  const report = await runDoctor({ requested, requireGpu: argv.includes('--gpu'), childTimeoutMs: timeoutSec * 1000 });
  process.stdout.write(argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctorReport(report)}\n`);
  return report.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`doctor: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
