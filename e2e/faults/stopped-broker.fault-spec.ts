/**
 * A broker that stops while a share is on its way must not block a single business write: the
 * outbox relay and the export sender hold no row lock while Kafka answers (or does not). Once the
 * broker is back, every share and every event written meanwhile is published.
 */
import { TestStack, waitFor } from '@audx/testing';
import { Client, ExportView, vid } from '../client';
import { OwnBroker } from './fault-harness';

const MEMBERS = 20_000;

describe('a stopped broker during a share', () => {
  let broker: OwnBroker;
  let stack: TestStack;
  let c: Client;

  beforeAll(async () => {
    broker = await OwnBroker.start();
    stack = await TestStack.start(['identity-reconciliation', 'audience-publication'], { KAFKA_BROKERS: broker.brokers }, { kafkaUsers: broker.users });
    c = new Client(stack, await stack.ims.tenant('stopped broker'));
    const recipients = Array.from({ length: MEMBERS }, (_, i) => JSON.stringify({ recipientId: `sb${i}` })).join('\n');
    const links = Array.from({ length: MEMBERS }, (_, i) => JSON.stringify({ visitorId: vid(7_000_000 + i), recipientId: `sb${i}` })).join('\n');
    await c.ok('identity-reconciliation', 'POST', '/v1/recipients', recipients, 'application/x-ndjson');
    await c.ok('identity-reconciliation', 'POST', '/v1/visitors', links, 'application/x-ndjson');
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    broker?.destroy();
  });

  async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
    const started = Date.now();
    const value = await work();
    return { ms: Date.now() - started, value };
  }

  it('answers unrelated writes in their normal time, then publishes everything once the broker is back', async () => {
    const { listId } = await c.ok<{ listId: string }>('identity-reconciliation', 'POST', '/v1/lists', { name: 'big', recipientIds: Array.from({ length: MEMBERS }, (_, i) => `sb${i}`) });
    const { listId: other } = await c.ok<{ listId: string }>('identity-reconciliation', 'POST', '/v1/lists', { name: 'other', recipientIds: ['sb1', 'sb2', 'sb3'] });
    // how long the same writes take with the broker up
    const normal = await timed(() => c.ok('identity-reconciliation', 'PUT', '/v1/data-sources/before', { label: 'before', kind: 'declared', reconciliationKey: 'email', dpid: 777 }));

    const { exportId } = await c.ok<{ exportId: string }>('identity-reconciliation', 'POST', `/v1/lists/${listId}/share`, { dataSource: 'defaultDataSource', segmentId: '91' });
    broker.stop();
    const writes = [
      await timed(() => c.ok('identity-reconciliation', 'PUT', '/v1/data-sources/during', { label: 'during', kind: 'declared', reconciliationKey: 'email', dpid: 778 })),
      await timed(() => c.ok('identity-reconciliation', 'POST', '/v1/recipients', JSON.stringify({ recipientId: 'sb-new', email: 'new@example.test' }) + '\n', 'application/x-ndjson')),
      await timed(() => c.ok<{ exportId: string }>('identity-reconciliation', 'POST', `/v1/lists/${other}/share`, { dataSource: 'defaultDataSource', segmentId: '92' })),
    ];
    // the relay is mid-send on a dead broker all this while; no write waits for it
    for (const w of writes) expect(w.ms).toBeLessThan(Math.max(2000, normal.ms * 10));
    const otherExport = (writes[2].value as { exportId: string }).exportId;

    broker.start();
    const published = async (id: string) =>
      waitFor(
        async () => {
          const a = await c.call<ExportView>('audience-publication', 'GET', `/v1/exports/${id}`);
          return a.status === 200 && a.body.status === 'published' ? a.body : false;
        },
        { timeoutMs: 120_000, intervalMs: 500, what: `export ${id} published` },
      );
    expect(await published(exportId)).toMatchObject({ members: MEMBERS, withIdentifier: MEMBERS });
    expect(await published(otherExport)).toMatchObject({ members: 3 });
  }, 300_000);
});
