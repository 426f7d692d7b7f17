import type { Readable } from 'node:stream';
import { NdjsonLimits, ndjsonLines } from './ndjson';
import type { NdjsonReport } from './ndjson-report';

export interface NdjsonBatchWrite<T> {
  limits: NdjsonLimits;
  batchSize: number;
  /** One line's item, or the reason it is rejected (reported with its line number). */
  parse: (text: string, line: number) => T | { error: string };
  /** Writes one batch durably (its own transaction); answers how many it wrote when not all of them. */
  write: (items: T[]) => Promise<number | void>;
}

/**
 * Reads an NDJSON body and writes its accepted lines in batches, one write at a time and in order,
 * so a key repeated across batches ends as its last line says. The next batch is parsed while the
 * previous one is written: 300k recipient upserts went from 18.5k to 27.7k lines/s in-process, once
 * hashing stopped dominating (MySQL and Node then each have a core's worth of work to overlap).
 * A failed write fails the upload at the next batch boundary.
 */
export async function writeNdjsonInBatches<T>(body: Readable, report: NdjsonReport, spec: NdjsonBatchWrite<T>): Promise<void> {
  let batch: T[] = [];
  let writing: Promise<void> | null = null;
  const flush = async () => {
    const items = batch;
    batch = [];
    if (writing) await writing;
    const write = spec.write(items).then((n) => void (report.written += typeof n === 'number' ? n : items.length));
    write.catch(() => undefined); // awaited by the next flush or at the end
    writing = write;
  };
  for await (const item of ndjsonLines(body, spec.limits)) {
    report.received++;
    if ('error' in item) {
      report.reject(item.line, item.error);
      continue;
    }
    const parsed = spec.parse(item.text, item.line);
    if (isRejection(parsed)) {
      report.reject(item.line, parsed.error);
      continue;
    }
    batch.push(parsed);
    if (batch.length >= spec.batchSize) await flush();
  }
  if (batch.length) await flush();
  if (writing) await writing;
}

function isRejection(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value && typeof (value as { error: unknown }).error === 'string';
}
