/**
 * Each stage of the device run writes its own part file, OUT/parts/<stage>.json, again after every
 * item it finishes (atomically), so that a stage killed by run.sh's time guard still leaves what
 * it completed; the report stage reads whatever parts exist.
 */
import * as fs from 'fs';
import * as path from 'path';
import writeFileAtomic from 'write-file-atomic';

export const STAGES = ['doctor', 'proofs', 'bench'] as const;
export type StageName = (typeof STAGES)[number];

export interface Part<T> {
  stage: StageName;
  startedAt: string;
  /** Set when the stage ran to its end; absent in a part left by a killed stage. */
  finishedAt?: string;
  /** The webgpu backend's one-line summary (adapter, Dawn backend, limits), once registered. */
  backend?: string;
  /** The backend's facts (adapter, limits, versions). */
  backendDetails?: Record<string, unknown>;
  items: T[];
  /** Why the stage stopped, when it threw. */
  error?: string;
}

export function partFile(outDir: string, stage: StageName): string {
  return path.join(outDir, 'parts', `${stage}.json`);
}

/** A part that rewrites its file on every change. */
export class PartWriter<T> {
  readonly part: Part<T>;

  constructor(private readonly outDir: string, stage: StageName) {
    this.part = { stage, startedAt: new Date().toISOString(), items: [] };
    fs.mkdirSync(path.dirname(partFile(outDir, stage)), { recursive: true });
    this.save();
  }

  add(item: T): void {
    this.part.items.push(item);
    this.save();
  }

  save(): void {
    writeFileAtomic.sync(partFile(this.outDir, this.part.stage), JSON.stringify(this.part, null, 1) + '\n');
  }
}

/** A stage's part as left on disk, or undefined when it never started. Throws on a corrupt file. */
export function readPart<T>(outDir: string, stage: StageName): Part<T> | undefined {
  const file = partFile(outDir, stage);
  if (!fs.existsSync(file)) return undefined;
  const size = fs.statSync(file).size;
  if (size > 64 * 2 ** 20) throw new Error(`${file}: expected a part file under 64 MiB, got ${size} bytes`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Part<T>;
}

/** The exit status run.sh recorded for a stage (OUT/parts/<stage>.rc), or undefined. */
export function stageExit(outDir: string, stage: StageName): number | undefined {
  const file = path.join(outDir, 'parts', `${stage}.rc`);
  if (!fs.existsSync(file)) return undefined;
  const n = Number(fs.readFileSync(file, 'utf8').trim());
  return Number.isFinite(n) ? n : undefined;
}
