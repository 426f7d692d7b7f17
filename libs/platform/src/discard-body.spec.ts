import { PassThrough } from 'node:stream';
import { discardRest } from './discard-body';

describe('discardRest', () => {
  it('reads the rest of a body to its end, keeping the stream alive', async () => {
    const body = new PassThrough();
    discardRest(body, { capBytes: 1024, capMs: 1000 });
    body.write(Buffer.alloc(512));
    body.end(Buffer.alloc(512));
    await new Promise((resolve) => body.once('end', resolve));
    expect(body.readableEnded).toBe(true);
  });

  it('cuts a body beyond the byte cap', async () => {
    const body = new PassThrough();
    discardRest(body, { capBytes: 1024, capMs: 1000 });
    body.write(Buffer.alloc(2048));
    await new Promise((resolve) => body.once('close', resolve));
    expect(body.destroyed).toBe(true);
  });

  it('cuts a client that stops sending before the time cap', async () => {
    const body = new PassThrough();
    discardRest(body, { capBytes: 1024, capMs: 50 });
    body.write(Buffer.alloc(10));
    await new Promise((resolve) => body.once('close', resolve));
    expect(body.destroyed).toBe(true);
  });
});
