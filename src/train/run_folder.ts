/**
 * The run folder: its layout (RUN_FILES, and nothing else is written there) and every read and
 * write the trainer makes in it. Reads go through SafeDir (no link followed, only regular files,
 * sizes checked); writes are atomic (write-file-atomic, fsync'ed) except metrics.jsonl's appends,
 * where a line cut short by a crash is moved aside on resume.
 */
import * as fs from 'fs';
import * as path from 'path';
import writeFileAtomic from 'write-file-atomic';
import { JsonField } from '../io/json_field';
import { RefusedFileError, SafeDir } from '..';
import { CheckpointContents, loadCheckpoint, LoadedCheckpoint, saveCheckpoint } from './checkpoint';
import { exportLayersModel } from './export';
import type { RnnModel } from './model';

/** The files a run directory holds; what the trainer writes there, and nothing else. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  /** Metrics lines after the step a resume continued from: the resumed run logs those steps again. */
  supersededMetrics: 'metrics.superseded.jsonl',
  initFlow: 'grad_flow_init.json',
  flow: 'grad_flow.json',
  lossCurve: 'loss_curve.svg',
  flowPlot: 'grad_flow.svg',
  summary: 'summary.json',
  checkpoints: 'checkpoint',
  model: 'model',
  /** chars: a copy of the text the run trains on (a resume reads it, never the path it came from). */
  text: 'text.txt',
} as const;

const WRITTEN_DIRECTORIES: readonly string[] = [RUN_FILES.checkpoints, RUN_FILES.model];
const WRITTEN_INSIDE: readonly string[] = ['checkpoint/LATEST', 'model/model.json', 'model/weights.bin'];

/** Refuses a run directory where something the trainer would write is a link or of the wrong kind. */
export function checkRunEntries(run: SafeDir): void {
  for (const name of Object.values(RUN_FILES)) run.exists(name, WRITTEN_DIRECTORIES.includes(name) ? 'directory' : 'file');
  for (const rel of WRITTEN_INSIDE) if (run.exists(rel.split('/')[0], 'directory')) run.exists(rel, 'file');
}

/** A line of metrics.jsonl as it is on disk, and what it says (null: cut short by a crash). */
export interface MetricsRecord<Line> {
  raw: string;
  line: Line | null;
}

function writeAtomic(file: string, data: string | Buffer): void {
  writeFileAtomic.sync(file, data, { fsync: true });
}

export class RunFolder {
  private constructor(private readonly safe: SafeDir) {}

  /** An existing run folder, for reading (a resume, before it decides to go ahead). */
  static open(dir: string): RunFolder {
    return new RunFolder(SafeDir.open(dir));
  }

  /** The run folder, made when missing: the run goes ahead, and from here on its files change. */
  static create(dir: string): RunFolder {
    fs.mkdirSync(dir, { recursive: true });
    return RunFolder.open(dir);
  }

  /** Absolute path of the folder. */
  get dir(): string {
    return this.safe.path;
  }

  /** Absolute path of a file or folder of the layout. */
  pathOf(name: (typeof RUN_FILES)[keyof typeof RUN_FILES]): string {
    return path.join(this.safe.path, name);
  }

  /** metrics.jsonl's lines (empty when there is none). */
  readMetrics<Line>(): Array<MetricsRecord<Line>> {
    if (!this.safe.exists(RUN_FILES.metrics, 'file')) return [];
    return this.safe
      .readText(RUN_FILES.metrics)
      .split('\n')
      .filter((raw) => raw.trim() !== '')
      .map((raw) => {
        try {
          return { raw, line: JSON.parse(raw) as Line };
        } catch {
          return { raw, line: null };
        }
      });
  }

  appendMetrics(line: object): void {
    fs.appendFileSync(this.pathOf(RUN_FILES.metrics), `${JSON.stringify(line)}\n`);
  }

  /**
   * metrics.jsonl keeps the lines up to `step`; later ones (steps a resumed run takes again, lines
   * cut short by a crash) move to metrics.superseded.jsonl, so no line is ever lost. Untouched when
   * there is nothing to move; returns how many lines moved.
   */
  keepMetricsUpToStep(step: number): number {
    const records = this.readMetrics<{ step: number }>();
    const kept = records.filter((r) => r.line !== null && r.line.step <= step);
    const file = this.pathOf(RUN_FILES.metrics);
    if (!fs.existsSync(file)) writeAtomic(file, '');
    if (kept.length === records.length) return 0;
    const moved = records.filter((r) => !kept.includes(r));
    fs.appendFileSync(this.pathOf(RUN_FILES.supersededMetrics), moved.map((r) => `${r.raw}\n`).join(''));
    writeAtomic(file, kept.map((r) => `${r.raw}\n`).join(''));
    return moved.length;
  }

  /**
   * The gradient flow at initialisation saved when the run started (JSON.stringify wrote NaN and
   * Infinity as null); null when it is missing or not T numbers, and so is computed again.
   */
  readInitFlow(T: number): number[] | null {
    if (!this.safe.exists(RUN_FILES.initFlow, 'file')) return null;
    try {
      const file = this.safe.display(RUN_FILES.initFlow);
      const norms = new JsonField(file, this.safe.readJSON(RUN_FILES.initFlow)).items().map((f) => (f.value === null ? NaN : f.number()));
      return norms.length === T ? norms : null;
    } catch (e) {
      if (e instanceof RefusedFileError) return null;
      throw e;
    }
  }

  writeInitFlow(norms: number[]): void {
    writeAtomic(this.pathOf(RUN_FILES.initFlow), JSON.stringify(norms));
  }

  /** Keeps the run's own copy of its text (chars). */
  writeText(bytes: Uint8Array): void {
    writeAtomic(this.pathOf(RUN_FILES.text), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  writeConfig(doc: object): void {
    writeAtomic(this.pathOf(RUN_FILES.config), `${JSON.stringify(doc, null, 2)}\n`);
  }

  writeLossCurve(svg: string): void {
    writeAtomic(this.pathOf(RUN_FILES.lossCurve), svg);
  }

  writeFlow(flow: object): void {
    writeAtomic(this.pathOf(RUN_FILES.flow), JSON.stringify(flow));
  }

  writeFlowPlot(svg: string): void {
    writeAtomic(this.pathOf(RUN_FILES.flowPlot), svg);
  }

  writeSummary(summary: object): void {
    writeAtomic(this.pathOf(RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
  }

  async exportModel(model: RnnModel): Promise<void> {
    await exportLayersModel(model, this.pathOf(RUN_FILES.model));
  }

  /** Whether checkpoint/ exists (refusing it when it is a link or a file). */
  hasCheckpoints(): boolean {
    return this.safe.exists(RUN_FILES.checkpoints, 'directory');
  }

  saveCheckpoint(contents: CheckpointContents): void {
    saveCheckpoint(this.pathOf(RUN_FILES.checkpoints), contents);
  }

  /** The newest checkpoint that verifies and passes `accept` (see loadCheckpoint); null when none. */
  loadCheckpoint(accept?: (ck: CheckpointContents, dir: string) => void): LoadedCheckpoint | null {
    if (!this.hasCheckpoints()) return null;
    return loadCheckpoint(this.safe.subdir(RUN_FILES.checkpoints), accept);
  }

  /** The checked reader over the folder, for the files other modules parse (config.json). */
  get reader(): SafeDir {
    return this.safe;
  }
}
