import { ApiProperty } from '@nestjs/swagger';

export const MAX_REPORTED_ERRORS = 100;

export class LineError {
  @ApiProperty() line: number;
  @ApiProperty() reason: string;
}

/** What an NDJSON upload answers: counts, and the first errors with their line numbers. */
export class NdjsonReport {
  received = 0;
  written = 0;
  rejected = 0;
  errors: LineError[] = [];

  constructor(private readonly writtenAs: 'upserted' | 'linked' | 'added' | 'removed') {}

  reject(line: number, reason: string): void {
    this.rejected++;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ line, reason });
  }

  toJSON(): Record<string, unknown> {
    // in line order: lines refused when written (an unknown recipient) are found after later lines were parsed
    return { received: this.received, [this.writtenAs]: this.written, rejected: this.rejected, errors: [...this.errors].sort((x, y) => x.line - y.line) };
  }
}
