import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { RecipientUpserted, RecipientUpsertedSchema, Topics } from '@audx/contracts';
import type { OutboxWriter } from '@audx/messaging';
import { APP_CONFIG, Errors, ServiceRuntime } from '@audx/platform';
import { ChangeLog } from '../changes/change-log';
import { retryOnDeadlock } from '../common/deadlock';
import { describeIssues, parseJsonLine } from '../common/ndjson';
import { writeNdjsonInBatches } from '../common/ndjson-batch-writer';
import { NdjsonReport } from '../common/ndjson-report';
import { rows } from '../common/sql';
import type { IdentityConfig } from '../config';
import { ImportsRepository } from '../imports/imports.repository';
import { ListsRepository } from '../lists/lists.repository';
import { VisitorsRepository } from '../visitors/visitors.repository';
import { type RecipientRecord, toRecipientRecord } from './recipient-record';
import { RecipientsRepository } from './recipients.repository';
import type { RecipientView } from './recipients.dto';

@Injectable()
export class RecipientsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(RecipientsRepository) private readonly recipients: RecipientsRepository,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(VisitorsRepository) private readonly visitors: VisitorsRepository,
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(ChangeLog) private readonly changes: ChangeLog,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
  ) {}

  /**
   * Reads an NDJSON stream of upserts line by line and writes them in batches of WRITE_BATCH_SIZE,
   * one transaction per batch (upserts are idempotent: a client retries the whole file).
   */
  async upsertStream(orgId: string, body: Readable): Promise<NdjsonReport> {
    const report = new NdjsonReport('upserted');
    await writeNdjsonInBatches(body, report, {
      limits: { maxBytes: this.config.NDJSON_MAX_BYTES, maxLineBytes: this.config.NDJSON_MAX_LINE_BYTES },
      batchSize: this.config.WRITE_BATCH_SIZE,
      parse: parseRecipientLine,
      write: (records) => retryOnDeadlock(() => this.runtime.transaction((m, outbox) => this.upsertIn(m, outbox, orgId, records))),
    });
    return report;
  }

  /** `recipient.upserted`: same rules as a line of the upload; an unusable record goes to the DLQ. */
  async upsertOne(manager: EntityManager, outbox: OutboxWriter, orgId: string, input: RecipientUpserted): Promise<void> {
    const record = toRecipientRecord(input);
    if ('error' in record) throw new Error(record.error);
    await this.upsertIn(manager, outbox, orgId, [record]);
  }

  /** Upserts in the caller's transaction; what the recipients export may have changed, so shares look at them again. */
  private async upsertIn(manager: EntityManager, outbox: OutboxWriter, orgId: string, records: RecipientRecord[]): Promise<void> {
    const rids = await this.recipients.upsert(manager, orgId, records, this.config.WRITE_BATCH_SIZE);
    this.changes.record(outbox, manager, orgId, rids.map((rid) => ({ kind: 'recipient', rid })));
  }

  async get(orgId: string, recipientId: string): Promise<RecipientView> {
    const manager = this.runtime.dataSource.manager;
    const r = await this.recipients.find(manager, orgId, recipientId);
    if (!r) throw Errors.notFound('recipient');
    const visitorIds = await rows<{ visitor_id: string }>(manager, 'SELECT visitor_id FROM visitors WHERE org_id = ? AND recipient_id = ? ORDER BY linked_at DESC LIMIT 100', [
      orgId,
      recipientId,
    ]);
    const lists = await rows<{ list_id: string }>(
      manager,
      'SELECT l.list_id FROM lists l JOIN list_members lm ON lm.list_pk = l.list_pk AND lm.rid = ? WHERE l.org_id = ? AND lm.present = 1 ORDER BY l.list_pk LIMIT 1000',
      [r.rid, orgId],
    );
    return {
      recipientId: r.recipient_id,
      email: r.email,
      crmId: r.crm_id,
      phone: r.phone,
      blocklisted: Number(r.blocklisted) === 1,
      attributes: r.attributes ? (JSON.parse(r.attributes) as Record<string, unknown>) : {},
      visitorIds: visitorIds.map((v) => v.visitor_id),
      lists: lists.map((l) => l.list_id),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** DELETE /v1/recipients/{id}: 404 when the org has no such recipient. */
  async erase(orgId: string, recipientId: string): Promise<void> {
    const found = await retryOnDeadlock(() => this.runtime.transaction((manager, outbox) => this.eraseIn(manager, outbox, orgId, recipientId)));
    if (!found) throw Errors.notFound('recipient');
  }

  /**
   * Erases a recipient from every list (list.updated, cause recipient-erased), from visitor links
   * and from the recipient tables, in the caller's transaction. Answers whether it existed.
   */
  async eraseIn(manager: EntityManager, outbox: OutboxWriter, orgId: string, recipientId: string): Promise<boolean> {
    const r = await this.recipients.find(manager, orgId, recipientId, true);
    const fellBackTo = await this.visitors.unlinkRecipient(manager, orgId, recipientId);
    this.changes.record(outbox, manager, orgId, fellBackTo.map((id) => ({ kind: 'recipientId', recipientId: id })));
    if (!r) return false;
    this.changes.record(outbox, manager, orgId, [{ kind: 'recipient', rid: r.rid }]);
    const lists = await this.lists.eraseRecipient(manager, orgId, r.rid);
    await this.imports.forgetMatchesOf(manager, orgId, r.rid);
    await this.recipients.delete(manager, r.rid);
    for (const l of lists) outbox.add(Topics.listUpdated, orgId, { listId: l.listId, size: l.size, added: 0, removed: 1, cause: 'recipient-erased' });
    return true;
  }
}

function parseRecipientLine(text: string): RecipientRecord | { error: string } {
  const json = parseJsonLine(text);
  if ('error' in json) return json;
  const parsed = RecipientUpsertedSchema.safeParse(json.value);
  if (!parsed.success) return { error: describeIssues(parsed.error.issues) };
  return toRecipientRecord(parsed.data);
}
