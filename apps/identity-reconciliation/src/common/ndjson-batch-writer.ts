import type { Readable } from 'node:stream';
import { NdjsonLimits, ndjsonLines } from './ndjson';
import type { NdjsonReport } from './ndjson-report';

export interface NdjsonBatchWrite<T> {
  limits: NdjsonLimits;
  batchSize: number;
  /** One line's item, or the reason it is rejected (reported with its line number). */
  parse: (text: string) => T | { error: string };
  /** Writes one batch durably (its own transaction). */
  write: (items: T[]) => Promise<void>;
}

/**
 * Reads an NDJSON body and writes its accepted lines in batches, one after the other, so a key
 * repeated across batches ends as its last line says. (Parsing the next batch while writing the
 * previous one was measured: on 2 cores MySQL and Node compete for the same CPU and it gained
 * nothing, see tools/bench/identity-bench.ts.)
 */
export async function writeNdjsonInBatches<T>(body: Readable, report: NdjsonReport, spec: NdjsonBatchWrite<T>): Promise<void> {
  let batch: T[] = [];
  const flush = async () => {
    const items = batch;
    batch = [];
    await spec.write(items);
    report.written += items.length;
  };
  for await (const item of ndjsonLines(body, spec.limits)) {
    report.received++;
    if ('error' in item) {
      report.reject(item.line, item.error);
      continue;
    }
    const parsed = spec.parse(item.text);
    if (isRejection(parsed)) {
      report.reject(item.line, parsed.error);
      continue;
    }
    batch.push(parsed);
    if (batch.length >= spec.batchSize) await flush();
  }
  if (batch.length) await flush();
}

function isRejection(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value && typeof (value as { error: unknown }).error === 'string';
}
