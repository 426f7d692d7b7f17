import { Inject, Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { Metrics } from '@audx/platform';

/** This service's own Prometheus series. */
@Injectable()
export class PublicationMetrics {
  readonly chunks: Counter<'outcome'>;
  readonly exports: Counter<'outcome'>;
  readonly publishSeconds: Histogram;
  readonly publishedLines: Counter;

  constructor(@Inject(Metrics) metrics: Metrics) {
    this.chunks = metrics.counter('audx_export_chunks_total', 'list.exported chunks by outcome', ['outcome']);
    this.exports = metrics.counter('audx_exports_finished_total', 'Exports finished, by outcome', ['outcome']);
    this.publishSeconds = metrics.histogram('audx_publication_seconds', 'Time to publish a version (delta, files, commit)', [], [0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120]);
    this.publishedLines = metrics.counter('audx_outbound_lines_total', 'Intake lines written to outbound files');
  }
}
