import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Request } from 'express';
import { Errors } from '@audx/platform';

export type NdjsonLine = { line: number; text: string } | { line: number; error: string };

export interface NdjsonLimits {
  maxBytes: number;
  maxLineBytes: number;
}

const ACCEPTED_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json-lines', 'application/jsonlines', 'text/plain', 'application/octet-stream'];

/**
 * The raw request body of an NDJSON route, gunzipped when `Content-Encoding: gzip`. No global
 * body parser touches these routes: main.ts only parses `application/json`, which we refuse (415)
 * because a JSON parser would have consumed the stream.
 */
export function ndjsonBody(req: Request, limits: NdjsonLimits): Readable {
  const type = (req.header('content-type') ?? 'application/x-ndjson').split(';')[0].trim().toLowerCase();
  if (!ACCEPTED_TYPES.includes(type)) throw Errors.unsupportedMedia(`content-type ${type} is not accepted here: send application/x-ndjson`);
  const length = Number(req.header('content-length') ?? NaN);
  if (Number.isFinite(length) && length > limits.maxBytes) throw Errors.tooLarge(`request body of ${length} bytes exceeds the limit of ${limits.maxBytes} bytes`);
  const encoding = (req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return req;
  if (encoding === 'gzip') return req.pipe(createGunzip());
  throw Errors.unsupportedMedia(`content-encoding ${encoding} is not supported (gzip or none)`);
}

/**
 * Splits a byte stream into lines without ever holding more than one line (plus one read chunk):
 * a line longer than `maxLineBytes` is reported as an error with its number and skipped, a body
 * longer than `maxBytes` stops the read with 413. Empty lines are skipped but keep their number.
 * Backpressure is the caller's: the next chunk is read when the caller asks for the next line.
 */
export async function* ndjsonLines(source: AsyncIterable<Buffer | string>, limits: NdjsonLimits): AsyncGenerator<NdjsonLine> {
  let total = 0;
  let lineNo = 0;
  let parts: Buffer[] = [];
  let partLength = 0;
  let overflow = false;
  const finish = function* (bytes: Buffer | null): Generator<NdjsonLine> {
    lineNo++;
    if (overflow) {
      yield { line: lineNo, error: `line longer than ${limits.maxLineBytes} bytes` };
    } else if (bytes) {
      let text = bytes.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim().length > 0) yield { line: lineNo, text };
    }
    parts = [];
    partLength = 0;
    overflow = false;
  };
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    total += chunk.length;
    if (total > limits.maxBytes) throw Errors.tooLarge(`request body exceeds the limit of ${limits.maxBytes} bytes (stopped at line ${lineNo + 1})`);
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (!overflow && partLength + piece.length > limits.maxLineBytes) overflow = true;
      if (overflow) {
        yield* finish(null);
        continue;
      }
      const bytes = parts.length === 0 ? piece : Buffer.concat([...parts, piece]);
      yield* finish(bytes);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (!overflow) {
        if (partLength + rest.length > limits.maxLineBytes) {
          overflow = true;
          parts = [];
          partLength = 0;
        } else {
          // copy: the source may reuse its buffer
          parts.push(Buffer.from(rest));
          partLength += rest.length;
        }
      }
    }
  }
  if (overflow || partLength > 0) yield* finish(overflow ? null : Buffer.concat(parts));
}

/** JSON.parse with the reason a line is refused. */
export function parseJsonLine(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: 'not valid JSON' };
  }
}

export function describeIssues(issues: { path: (string | number)[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`)
    .join('; ');
}
