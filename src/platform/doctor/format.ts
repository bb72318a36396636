/** The doctor's report as text for a terminal (`--json` prints the report object instead). */
import type { DoctorReport, Level } from './types';

const MARK: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: '--  ' };

/** The report as text for a terminal. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [report.header, ''];
  for (const s of report.sections) {
    lines.push(s.title);
    for (const f of s.findings) {
      lines.push(`  ${MARK[f.level]}  ${f.title}`);
      if (f.detail) lines.push(...wrap(f.detail, 8));
      if (f.fix) lines.push(...wrap(`fix: ${f.fix}`, 8));
    }
    lines.push('');
  }
  lines.push(`exit code ${report.exitCode}`);
  return lines.join('\n');
}

function wrap(text: string, indent: number, width = 100): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line.length > 0 && pad.length + line.length + 1 + word.length > width) {
        out.push(pad + line);
        line = word;
      } else {
        line = line.length > 0 ? `${line} ${word}` : word;
      }
    }
    if (line.length > 0) out.push(pad + line);
  }
  return out;
}
