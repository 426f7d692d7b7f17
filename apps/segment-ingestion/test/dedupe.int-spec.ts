import { Tenant, TestStack, json, waitFor } from '@audx/testing';
import { ChunkCollector, vid } from './support';

/**
 * Duplicate lines are found in memory up to IMPORT_DEDUPE_MEMORY_LINES distinct lines, then
 * through MySQL: the receipt and the chunks are exact either way, within a chunk and across chunks.
 */
describe('segment-ingestion: duplicate lines past the in-memory limit', () => {
  let stack: TestStack;
  let a: Tenant;
  const chunks = new ChunkCollector();

  beforeAll(async () => {
    stack = await TestStack.start(['segment-ingestion'], { IMPORT_DEDUPE_MEMORY_LINES: '2', IMPORT_CHUNK_SIZE: '3' });
    a = await stack.ims.tenant('dedupe');
    await chunks.start();
  });

  afterAll(async () => {
    await chunks.stop();
    await stack?.stop();
  });

  it('counts every repeated line once, whether it was remembered in memory or in MySQL', async () => {
    const distinct = Array.from({ length: 6 }, (_, i) => `${vid(100 + i)} 24`);
    // 1 and 2 fit in memory; 3..6 overflow to MySQL; repeats of each kind, within and across chunks
    const file = [distinct[0], distinct[1], distinct[2], distinct[2], distinct[3], distinct[0], distinct[4], distinct[5], distinct[3], distinct[5], distinct[1]].join('\n') + '\n';
    const res = await fetch(`${stack.url('segment-ingestion')}/v1/imports?format=aam-outbound&mode=iter`, { method: 'POST', headers: { ...a.headers, 'content-type': 'text/plain' }, body: file });
    expect(res.status).toBe(202);
    const body = await json<{ importId: string; receipt: { recordsReceived: number; duplicateLines: number; membershipsAdded: number } }>(res);
    expect(body.receipt).toMatchObject({ recordsReceived: 11, duplicateLines: 5, membershipsAdded: 6 });
    const got = await waitFor(() => chunks.chunks(body.importId).find((c) => c.last) && chunks.chunks(body.importId), { what: 'last chunk' });
    expect(got.flatMap((c) => c.members.map((m) => m.userId))).toEqual(Array.from({ length: 6 }, (_, i) => vid(100 + i)));
  });
});
