import { Transform, TransformCallback } from 'node:stream';
import { Errors } from '@audx/platform';

/** Fails the stream with 413 once more than `max` bytes went through. */
export class ByteLimit extends Transform {
  bytes = 0;

  constructor(
    private readonly max: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) return done(Errors.tooLarge(`${this.what} exceeds the maximum of ${this.max} bytes`));
    done(null, chunk);
  }
}

/**
 * Watches what a gunzip stream produces against what went in: past `floor` bytes, a ratio above
 * `maxRatio` is a decompression bomb and fails with 413.
 */
export class InflationGuard extends Transform {
  private out = 0;

  constructor(
    private readonly compressed: ByteLimit,
    private readonly maxRatio: number,
    private readonly floor = 10 * 1024 * 1024,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.out += chunk.length;
    if (this.out > this.floor && this.out > this.compressed.bytes * this.maxRatio) {
      return done(Errors.tooLarge(`gzip content expands more than ${this.maxRatio} times: refused as a decompression bomb`));
    }
    done(null, chunk);
  }
}
