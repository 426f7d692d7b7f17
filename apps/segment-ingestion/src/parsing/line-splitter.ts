import { Transform, TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';

export const MAX_LINE_BYTES = 102_400;

export type Line = { lineNo: number; text: string } | { lineNo: number; error: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes in, one object per line out. Memory is bounded: a line longer than MAX_LINE_BYTES is
 * reported as a format error and skipped without being kept. Accepts a BOM and CRLF; invalid
 * UTF-8 is a format error of that line only. The last line may lack its newline.
 */
export class LineSplitter extends Transform {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private overflow = false;
  private lineNo = 0;
  private atStart = true;

  constructor() {
    super({ readableObjectMode: true, readableHighWaterMark: 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let buf = chunk;
    if (this.atStart && buf.length > 0) {
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      this.atStart = false;
    }
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      this.append(buf.subarray(start, nl));
      this.emitLine();
      start = nl + 1;
    }
    this.append(buf.subarray(start));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.partBytes > 0 || this.overflow) this.emitLine();
    done();
  }

  private append(piece: Buffer): void {
    if (piece.length === 0 || this.overflow) return;
    if (this.partBytes + piece.length > MAX_LINE_BYTES + 1) {
      // +1 leaves room for a CR that CRLF files put before the newline
      this.overflow = true;
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    this.parts.push(piece);
    this.partBytes += piece.length;
  }

  private emitLine(): void {
    this.lineNo++;
    if (this.overflow) {
      this.overflow = false;
      this.push({ lineNo: this.lineNo, error: `line longer than ${MAX_LINE_BYTES} bytes` });
      return;
    }
    let bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > MAX_LINE_BYTES) {
      this.push({ lineNo: this.lineNo, error: `line longer than ${MAX_LINE_BYTES} bytes` });
      return;
    }
    try {
      this.push({ lineNo: this.lineNo, text: decoder.decode(bytes) });
    } catch {
      this.push({ lineNo: this.lineNo, error: 'invalid UTF-8' });
    }
  }
}
