import Table from 'cli-table3';
import { SingleBar } from 'cli-progress';

/** Tables and progress for people (progress on stderr), JSON on stdout for scripts (`--json`). */
export class Output {
  constructor(readonly json: boolean) {}

  /** The result of a command: JSON for scripts, else the table or lines given. */
  result(value: unknown, human: () => string): void {
    process.stdout.write(this.json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
  }

  /** Progress for people only: on stderr, redrawn on a terminal, a line every few seconds otherwise. */
  bar(format: string): SingleBar | null {
    if (this.json) return null;
    return new SingleBar({ format, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000, hideCursor: true, barsize: 30 });
  }

  note(line: string): void {
    if (!this.json) process.stderr.write(line + '\n');
  }
}

export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
  return t.toString();
}

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
export const percent = (rate: number | null | undefined) => (rate === null || rate === undefined ? '' : `${(rate * 100).toFixed(1)} %`);
