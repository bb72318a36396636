/**
 * A jest reporter that ends `npm test` with one line saying which backends the proofs ran on, and
 * why WebGPU did not where it did not. Each test file's setup (test/backend_log.ts) appends what it
 * saw to a log file named in TFJS_RNN_BACKEND_LOG, which this reporter sets before any worker
 * starts (workers inherit the environment); the line is made from that log when the run completes.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

class BackendsReporter {
  constructor() {
    if (!process.env.TFJS_RNN_BACKEND_LOG) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-backends-'));
      process.env.TFJS_RNN_BACKEND_LOG = path.join(dir, 'backends.jsonl');
      this.ownDir = dir;
    }
    this.log = process.env.TFJS_RNN_BACKEND_LOG;
  }

  onRunComplete() {
    let records = [];
    try {
      records = fs
        .readFileSync(this.log, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l));
    } catch {
      // No test file recorded anything (none ran, or all failed to load).
    }
    process.stderr.write(`${summaryLine(records, process.env)}\n`);
    if (this.ownDir) fs.rmSync(this.ownDir, { recursive: true, force: true });
  }
}

/** The line, from the log's records: { file, backends } after each file, { skip: reason } from the webgpu gate. */
function summaryLine(records, env) {
  const files = records.filter((r) => Array.isArray(r.backends));
  const count = (b) => new Set(files.filter((r) => r.backends.includes(b)).map((r) => r.file)).size;
  const used = ['cpu', 'wasm', 'webgpu', 'tensorflow'].filter((b) => count(b) > 0);
  if (files.length === 0) return 'backends: no test file recorded a backend';
  let line = `backends: the proofs ran on ${used.map((b) => `${b} (${count(b)} file${count(b) === 1 ? "" : "s"})`).join(', ') || 'none'}`;
  if (!used.includes('webgpu')) {
    const skips = [...new Set(records.filter((r) => typeof r.skip === 'string').map((r) => r.skip))];
    const asked = env.TFJS_RNN_TEST_WEBGPU === '1' || env.CI === 'true';
    const why = skips.length > 0 ? `no adapter here: ${skips[0]}` : asked ? 'no test file that runs on it was selected' : 'not asked for (TFJS_RNN_TEST_WEBGPU=1 or CI=true runs the core proofs on it too)';
    line += `; webgpu did not run: ${why}`;
  } else if (!(env.TFJS_RNN_TEST_WEBGPU === '1' || env.CI === 'true')) {
    line += '; the core proofs ran on webgpu only in the webgpu_* files (TFJS_RNN_TEST_WEBGPU=1 or CI=true runs them all there)';
  }
  return line;
}

module.exports = BackendsReporter;
module.exports.summaryLine = summaryLine;
