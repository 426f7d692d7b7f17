import { Inject, Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { Metrics } from '@audx/platform';
import type { ReceiptView } from './receipt';
import { ImportStatus, ImportsRepository } from './imports.repository';

const STATUSES: readonly ImportStatus[] = ['receiving', 'reconciling', 'completed', 'failed', 'rejected'];

/**
 * Imports as an operator watches them: how many are in each status (read from MySQL at scrape
 * time, so every replica reports the same figures, and a restart loses none), the lines parsed by
 * outcome, and the match rate of each completed import. Every label set is bounded.
 */
@Injectable()
export class ImportMetrics {
  private readonly lines: Counter<'outcome'>;
  private readonly matchRate: Histogram;

  constructor(@Inject(Metrics) metrics: Metrics, @Inject(ImportsRepository) imports: ImportsRepository) {
    this.lines = metrics.counter('audx_import_lines_total', 'Lines of accepted uploads, by outcome', ['outcome']);
    this.matchRate = metrics.histogram('audx_import_match_rate', 'Match rate of each completed import (matched / (matched + unmatched))', [], [0.1, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1]);
    metrics.gauge('audx_imports', 'Imports in each status (all orgs, as MySQL holds them)', ['status'], async function () {
      const counts = await imports.countByStatus().catch(() => null);
      if (!counts) return; // MySQL down: /ready says so; keep the last values
      for (const s of STATUSES) this.set({ status: s }, counts.get(s) ?? 0);
    });
  }

  /** An upload handed on: its lines, by what became of them. */
  accepted(receipt: ReceiptView): void {
    this.lines.inc({ outcome: 'received' }, receipt.recordsReceived);
    this.lines.inc({ outcome: 'format_error' }, receipt.formatErrors);
    this.lines.inc({ outcome: 'invalid_id' }, receipt.invalidIds);
    this.lines.inc({ outcome: 'duplicate' }, receipt.duplicateLines);
  }

  completed(matchRate: number | null): void {
    if (matchRate !== null) this.matchRate.observe(matchRate);
  }
}
