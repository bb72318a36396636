/**
 * Progress to the terminal: a cli-progress bar (loss, accuracy, seq/s, ETA) when stdout is a TTY,
 * plain log lines otherwise (CI logs, pipes, files).
 */
import * as cliProgress from 'cli-progress';

export interface ProgressFields {
  loss: number;
  accuracy?: number;
  seqPerSec: number;
  /** The held-out loss, on the steps it is evaluated (--eval-every). */
  evalLoss?: number;
  evalAccuracy?: number;
}

export interface Progress {
  start(total: number, startStep: number): void;
  update(step: number, fields: ProgressFields): void;
  /** A line of text that must not be overwritten by the bar. */
  log(line: string): void;
  stop(): void;
}

function fmtAcc(a: number | undefined): string {
  return a === undefined ? '' : ` | acc ${a.toFixed(3)}`;
}

/** The held-out result, when this step evaluated it. */
function fmtEval(f: ProgressFields): string {
  if (f.evalLoss === undefined) return '';
  return ` | held-out loss ${f.evalLoss.toPrecision(4)}${f.evalAccuracy === undefined ? '' : `, acc ${f.evalAccuracy.toFixed(3)}`}`;
}

export class BarProgress implements Progress {
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;

  start(total: number, startStep: number): void {
    this.multi = new cliProgress.MultiBar(
      {
        format: ' {bar} {value}/{total} | loss {loss}{acc}{ev} | {sps} seq/s | ETA {eta_formatted}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(total, startStep, { loss: '-', acc: '', ev: '', sps: '-' });
  }

  /** The last held-out result stays on the bar until the next one. */
  private lastEval = '';

  update(step: number, f: ProgressFields): void {
    if (f.evalLoss !== undefined) this.lastEval = fmtEval(f);
    this.bar?.update(step, { loss: f.loss.toPrecision(4), acc: fmtAcc(f.accuracy), ev: this.lastEval, sps: f.seqPerSec.toFixed(0) });
  }

  log(line: string): void {
    if (this.multi === null) process.stdout.write(`${line}\n`);
    else this.multi.log(`${line}\n`);
  }

  stop(): void {
    this.multi?.stop();
    this.multi = null;
    this.bar = null;
  }
}

export class LineProgress implements Progress {
  private total = 0;
  private startStep = 0;
  private startTime = 0;

  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  start(total: number, startStep: number): void {
    this.total = total;
    this.startStep = startStep;
    this.startTime = Date.now();
  }

  update(step: number, f: ProgressFields): void {
    const done = step - this.startStep;
    const perStep = done > 0 ? (Date.now() - this.startTime) / 1000 / done : 0;
    const eta = Math.round(perStep * (this.total - step));
    this.write(`step ${step}/${this.total} | loss ${f.loss.toPrecision(4)}${fmtAcc(f.accuracy)}${fmtEval(f)} | ${f.seqPerSec.toFixed(0)} seq/s | ETA ${eta}s`);
  }

  log(line: string): void {
    this.write(line);
  }

  stop(): void {}
}

export function makeProgress(tty: boolean = process.stdout.isTTY === true): Progress {
  return tty ? new BarProgress() : new LineProgress();
}
