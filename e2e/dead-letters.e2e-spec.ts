/**
 * Dead letters an operator can act on: a message a consumer cannot apply is listed for its org
 * with the reason, replayed to its topic (the consumer takes it again) or discarded, each once,
 * with who did it; another org never sees it; an outside producer's event is not replayed (its
 * token is never kept).
 */
import { Topics } from '@audx/contracts';
import type { EventProducer } from '@audx/messaging';
import { Tenant, TestStack, waitFor } from '@audx/testing';
import { Client, rawEvent, testProducer } from './client';

interface Letter {
  deadLetterId: string;
  topic: string;
  reason: string;
  status: string;
  handledBy: string | null;
  headers: Record<string, string>;
  value: string;
}

describe('dead letters: listed per org, replayed or discarded once', () => {
  let stack: TestStack;
  let a: Client;
  let b: Client;
  let tenantA: Tenant;
  let producer: EventProducer;

  beforeAll(async () => {
    stack = await TestStack.start(['identity-reconciliation']);
    tenantA = await stack.ims.tenant('dead letters a');
    a = new Client(stack, tenantA);
    b = new Client(stack, await stack.ims.tenant('dead letters b'));
    producer = testProducer('e2e-dlq');
  });
  afterAll(async () => {
    await producer?.disconnect();
    await stack?.stop();
  });

  const letters = async (c: Client, query = '') => (await c.ok<{ items: Letter[] }>('identity-reconciliation', 'GET', `/v1/dead-letters${query}`)).items;
  const poison = (orgId: string, topic: string, payload: unknown) => producer.sendRaw([rawEvent(orgId, topic, payload)]);

  it('lists a message the consumer could not apply for its org only, with the reason', async () => {
    await poison(tenantA.orgId, Topics.segmentImported, { importId: 42 });
    const [letter] = await waitFor(async () => {
      const items = await letters(a, '?status=dead');
      return items.length > 0 ? items : undefined;
    }, { timeoutMs: 30000, what: 'the dead letter listed' });
    expect(letter).toMatchObject({ topic: Topics.segmentImported, status: 'dead', handledBy: null });
    expect(letter.reason).toMatch(/invalid segment\.imported payload/);
    expect(JSON.parse(letter.value)).toMatchObject({ orgId: tenantA.orgId });
    expect(await letters(b)).toEqual([]);
    expect((await b.call('identity-reconciliation', 'GET', `/v1/dead-letters/${letter.deadLetterId}`)).status).toBe(404);
    expect((await b.call('identity-reconciliation', 'POST', `/v1/dead-letters/${letter.deadLetterId}/replay`)).status).toBe(404);
  });

  it('replays it to its topic once: the consumer takes it again (here, to dead-letter it anew), and says who replayed it', async () => {
    const [letter] = await letters(a, '?status=dead');
    const replayed = await a.ok<Letter>('identity-reconciliation', 'POST', `/v1/dead-letters/${letter.deadLetterId}/replay`);
    expect(replayed).toMatchObject({ status: 'replayed', handledBy: tenantA.clientId });
    const again = await a.call('identity-reconciliation', 'POST', `/v1/dead-letters/${letter.deadLetterId}/replay`);
    expect(again.status).toBe(409);
    const anew = await waitFor(async () => (await letters(a, '?status=dead')).find((l) => l.headers['x-replayed-from'] === letter.deadLetterId) ?? undefined, { timeoutMs: 30000, what: 'the replayed message consumed again' });
    expect(anew.headers['x-replayed-by']).toBe(tenantA.clientId);
    expect(JSON.parse(anew.value)).toEqual(JSON.parse(letter.value));
    const audit = await a.ok<{ items: { action: string; actor: string }[] }>('identity-reconciliation', 'GET', '/v1/audit');
    expect(audit.items.find((e) => e.action.includes('/replay'))).toMatchObject({ actor: tenantA.clientId });
  });

  it('discards one once, and never replays an outside producer event (its token is not kept)', async () => {
    const [letter] = await letters(a, '?status=dead');
    expect((await a.ok<Letter>('identity-reconciliation', 'POST', `/v1/dead-letters/${letter.deadLetterId}/discard`)).status).toBe('discarded');
    expect((await a.call('identity-reconciliation', 'POST', `/v1/dead-letters/${letter.deadLetterId}/discard`)).status).toBe(409);
    expect((await letters(a, '?status=discarded')).map((l) => l.deadLetterId)).toEqual([letter.deadLetterId]);

    // no token at all: refused to the DLQ by the event authorizer
    await poison(tenantA.orgId, Topics.recipientUpserted, { recipientId: 'r1' });
    const outside = await waitFor(async () => (await letters(a, `?topic=${Topics.recipientUpserted}`))[0] ?? undefined, { timeoutMs: 30000, what: 'the outside event dead-lettered' });
    expect(outside.reason).toMatch(/unauthorized/);
    const refused = await a.call('identity-reconciliation', 'POST', `/v1/dead-letters/${outside.deadLetterId}/replay`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toMatch(/ask its producer to send it again/);
  });
});
