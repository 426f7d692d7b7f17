export const MAX_REPORTED_ERRORS = 100;

export interface ReceiptView {
  recordsReceived: number;
  formatErrors: number;
  invalidIds: number;
  duplicateLines: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  segments: string[];
}

export interface LineError {
  line: number;
  reason: string;
}

/** The processing receipt of one import, modelled on the marketing cloud's. */
export class Receipt {
  recordsReceived = 0;
  formatErrors = 0;
  invalidIds = 0;
  duplicateLines = 0;
  membershipsAdded = 0;
  membershipsRemoved = 0;
  readonly segments = new Set<string>();
  readonly errors: LineError[] = [];

  formatError(line: number, reason: string): void {
    this.formatErrors++;
    this.note(line, reason);
  }

  invalidId(line: number, reason: string): void {
    this.invalidIds++;
    this.note(line, reason);
  }

  private note(line: number, reason: string): void {
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ line, reason });
  }

  view(): ReceiptView {
    return {
      recordsReceived: this.recordsReceived,
      formatErrors: this.formatErrors,
      invalidIds: this.invalidIds,
      duplicateLines: this.duplicateLines,
      membershipsAdded: this.membershipsAdded,
      membershipsRemoved: this.membershipsRemoved,
      segments: [...this.segments].sort((a, b) => Number(a) - Number(b)),
    };
  }
}
