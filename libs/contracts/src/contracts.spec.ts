import { randomUUID } from 'node:crypto';
import { ALL_TOPICS, COMPACTED_TOPICS, Topics, dlqOf, isTopicName } from './topics';
import { EnvelopeSchema } from './envelope';
import { TopicContracts, contractOf, messageKey } from './registry';
import { reconciliationFailed } from './payloads/segment-reconciled';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';

describe('contracts', () => {
  it.each(ALL_TOPICS)('%s has a contract whose example passes its schema', (topic) => {
    const c = contractOf(topic);
    expect(c.schema.safeParse(c.example).success).toBe(true);
  });

  it.each(ALL_TOPICS)('%s rejects a payload of the wrong shape', (topic) => {
    const c = contractOf(topic);
    expect(c.schema.safeParse({ unexpected: true }).success).toBe(false);
    expect(c.schema.safeParse(null).success).toBe(false);
  });

  it('every topic has a contract and no contract names an unknown topic', () => {
    expect(Object.keys(TopicContracts).sort()).toEqual([...ALL_TOPICS].sort());
  });

  it('keys follow system.md', () => {
    expect(messageKey(Topics.segmentImported, TopicContracts[Topics.segmentImported].example, ORG)).toBe('imp_01');
    expect(messageKey(Topics.segmentMembership, TopicContracts[Topics.segmentMembership].example, ORG)).toBe(
      '59767559181262060060278870901087098252',
    );
    expect(messageKey(Topics.policyChanged, TopicContracts[Topics.policyChanged].example, ORG)).toBe(
      `${ORG}/no-cross-site`,
    );
  });

  it('rejects a visitor id that is not 38 digits and a non-numeric segment id', () => {
    const v = contractOf(Topics.visitorIdentified);
    expect(v.schema.safeParse({ ...v.example, visitorId: '123' }).success).toBe(false);
    const m = contractOf(Topics.segmentMembership);
    expect(m.schema.safeParse({ ...m.example, segmentId: "24'; DROP TABLE x" }).success).toBe(false);
  });

  it('rejects a deny expression with an unknown operator', () => {
    const p = contractOf(Topics.policyChanged);
    const bad = { ...p.example, record: { ...p.example.record!, deny: { operator: 'XOR', operands: [{ label: 'C1' }] } } };
    expect(p.schema.safeParse(bad).success).toBe(false);
  });

  it('segment.imported: the last chunk, and only it, carries totals whose chunk count it closes', () => {
    const c = contractOf(Topics.segmentImported);
    const { totals: _totals, ...noTotals } = c.example;
    const first = { ...noTotals, last: false, seq: 0 };
    const last = { ...c.example, seq: 1, totals: { chunks: 2, members: 2, invalidIds: 0 } };
    expect(c.schema.safeParse(first).success).toBe(true);
    expect(c.schema.safeParse(last).success).toBe(true);
    const issues = (p: unknown) => {
      const r = c.schema.safeParse(p);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ ...noTotals, last: true })).toEqual(['totals: the last chunk must carry totals']);
    expect(issues({ ...last, last: false })).toEqual(['totals: only the last chunk carries totals']);
    expect(issues({ ...last, seq: 0 })).toEqual(['seq: the last chunk must have seq totals.chunks - 1']);
  });

  it('segment.reconciled: a failure says why and carries zero counts and no lists', () => {
    const c = contractOf(Topics.segmentReconciled);
    const failed = reconciliationFailed('imp_01', 'chunks missing');
    expect(c.schema.parse(failed)).toEqual({ importId: 'imp_01', matched: 0, unmatched: 0, invalid: 0, lists: [], failure: { reason: 'chunks missing' } });
    expect(c.schema.safeParse({ ...c.example, failure: { reason: 'chunks missing' } }).success).toBe(false);
    expect(c.schema.safeParse({ ...failed, failure: { reason: '' } }).success).toBe(false);
  });

  it('validates the envelope', () => {
    const ok = {
      id: randomUUID(),
      type: 'X',
      version: 1,
      orgId: ORG,
      occurredAt: new Date().toISOString(),
      correlationId: null,
      producer: 'test',
      payload: {},
    };
    expect(EnvelopeSchema.safeParse(ok).success).toBe(true);
    expect(EnvelopeSchema.parse(ok).id).toBe(ok.id);
    // an outside producer's id becomes a stable 36-character key; its correlationId may be absent
    const outside = EnvelopeSchema.parse({ ...ok, id: 'evt-1', correlationId: undefined });
    expect(outside.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(EnvelopeSchema.parse({ ...ok, id: 'evt-1' }).id).toBe(outside.id);
    expect(EnvelopeSchema.parse({ ...ok, id: 'evt-2' }).id).not.toBe(outside.id);
    expect(outside.correlationId).toBeNull();
    expect(EnvelopeSchema.safeParse({ ...ok, id: '' }).success).toBe(false);
    expect(EnvelopeSchema.safeParse({ ...ok, occurredAt: 'yesterday' }).success).toBe(false);
  });

  it('names dead-letter topics and compacted topics', () => {
    expect(dlqOf(Topics.listExported)).toBe('list.exported.dlq');
    expect(COMPACTED_TOPICS).toEqual(['datasource.changed', 'policy.changed', 'segment.changed']);
    expect(isTopicName('segment.imported')).toBe(true);
    expect(isTopicName('segment.imported.dlq')).toBe(false);
  });
});
