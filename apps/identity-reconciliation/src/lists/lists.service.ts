import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { Topics } from '@audx/contracts';
import { APP_CONFIG, Errors, ServiceRuntime, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import { parseJsonLine } from '../common/ndjson';
import { writeNdjsonInBatches } from '../common/ndjson-batch-writer';
import { NdjsonReport } from '../common/ndjson-report';
import type { IdentityConfig } from '../config';
import { ChangeLog } from '../changes/change-log';
import { RecipientsRepository } from '../recipients/recipients.repository';
import { compileListQuery } from './list-query';
import { CreateListDto, CreatedListView, ListPage, ListView, MemberPage, PatchListDto, listView } from './lists.dto';
import { ListFilter, ListRecord, ListsRepository } from './lists.repository';
import { ListPurger } from './list-purger';
import { SharesRepository } from '../exports/shares.repository';

const MemberLineSchema = z.object({ recipientId: z.string().trim().min(1).max(128) }).strict();

@Injectable()
export class ListsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(RecipientsRepository) private readonly recipients: RecipientsRepository,
    @Inject(ChangeLog) private readonly changes: ChangeLog,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(ListPurger) private readonly purger: ListPurger,
    @Inject(SharesRepository) private readonly shares: SharesRepository,
  ) {}

  async list(orgId: string, after: string | undefined, limit: string | undefined, filter: ListFilter = {}): Promise<ListPage> {
    const take = parseLimit(limit, 100, 1000);
    const cursor = decodeCursor(after, 1);
    const found = await this.lists.page(this.runtime.dataSource.manager, orgId, cursor ? String(cursor[0]) : null, take, filter);
    return { items: found.map(listView), next: found.length === take ? encodeCursor([found[found.length - 1].listPk]) : null };
  }

  async get(orgId: string, listId: string): Promise<ListView> {
    return listView(await this.require(orgId, listId));
  }

  async members(orgId: string, listId: string, after: string | undefined, limit: string | undefined): Promise<MemberPage> {
    const list = await this.require(orgId, listId);
    const take = parseLimit(limit, 1000, 10000);
    const cursor = decodeCursor(after, 1);
    const found = await this.lists.members(this.runtime.dataSource.manager, list.listPk, cursor ? String(cursor[0]) : null, take);
    return { items: found.map((f) => f.recipient_id), next: found.length === take ? encodeCursor([String(found[found.length - 1].rid)]) : null };
  }

  /** A list from recipient ids (unknown ones left out and counted) or from a query over recipients. */
  async create(orgId: string, body: CreateListDto): Promise<CreatedListView> {
    return this.runtime.transaction(async (manager, outbox) => {
      const origin = 'query' in body ? 'query' : 'recipients';
      const list = await this.lists.create(manager, orgId, { name: body.name, origin, labels: [] });
      let unknownRecipients = 0;
      if ('query' in body) {
        const { where, params } = compileListQuery(body.query, orgId);
        await manager.query(`INSERT IGNORE INTO list_members (list_pk, rid, present, sequence) SELECT ?, r.rid, 1, 0 FROM recipients r WHERE r.org_id = ? AND ${where}`, [
          list.listPk,
          orgId,
          ...params,
        ]);
      } else {
        const ids = [...new Set(body.recipientIds)];
        const rids = await this.recipients.rids(manager, orgId, ids);
        unknownRecipients = ids.length - rids.size;
        await this.lists.addMembers(manager, list.listPk, [...rids.values()]);
      }
      const size = await this.lists.recount(manager, list.listPk);
      this.changes.record(outbox, manager, orgId, [{ kind: 'list', listPk: list.listPk }]);
      outbox.add(Topics.listUpdated, orgId, { listId: list.listId, size, added: size, removed: 0, cause: 'created' });
      return { ...listView({ ...list, size, updatedAt: new Date() }), unknownRecipients };
    });
  }

  /**
   * Deletes a list: gone at once for every read and share (a share asked for it fails with "list
   * not found"); its members are purged in the background. The audiences it was shared to stay
   * published as they are. A segment's list is made again by the segment's next import.
   */
  async remove(orgId: string, listId: string): Promise<void> {
    await this.runtime.transaction(async (manager, outbox) => {
      const list = await this.lists.find(manager, orgId, listId, true);
      if (!list) throw Errors.notFound('list');
      const synced = await this.shares.syncedWith(manager, orgId, listId);
      if (synced.length > 0) throw Errors.conflict(`audience ${synced[0]}${synced.length > 1 ? ` and ${synced.length - 1} more` : ''} is kept in sync with this list: turn that off first (PUT /v1/audiences/{id}/sync)`);
      await this.lists.delete(manager, orgId, list.listPk);
      outbox.add(Topics.listUpdated, orgId, { listId, size: 0, added: 0, removed: list.size, cause: 'deleted' });
    });
    this.purger.wake();
  }

  /**
   * Renames a list and/or replaces the labels set on it. The labels its segment's imports gave it
   * stay (change them with PUT /v1/segments/{id} on segment-ingestion): labels only restrict, so
   * nothing set here can loosen what the export gate judges. The next share is judged on the new labels.
   */
  async update(orgId: string, listId: string, patch: PatchListDto): Promise<ListView> {
    return this.runtime.transaction(async (manager) => {
      const list = await this.lists.find(manager, orgId, listId, true);
      if (!list) throw Errors.notFound('list');
      await this.lists.update(manager, list.listPk, { name: patch.name, ownLabels: patch.labels });
      return listView((await this.lists.find(manager, orgId, listId))!);
    });
  }

  /**
   * `POST|DELETE /v1/lists/{id}/members`: an NDJSON stream of `{"recipientId"}` added to or removed
   * from a list made by hand (ids or a query), in batches, one transaction each. Every line's fate
   * is reported: malformed, unknown recipient, or counted. A list built from a segment is refused:
   * its members come from its imports.
   */
  async editMembers(orgId: string, listId: string, body: Readable, present: boolean): Promise<Record<string, unknown>> {
    const list = await this.require(orgId, listId);
    if (list.origin === 'import') throw Errors.conflict("the members of a list built from a segment come from its imports: change the segment's audience instead");
    const report = new NdjsonReport(present ? 'added' : 'removed');
    await writeNdjsonInBatches<{ line: number; recipientId: string }>(body, report, {
      limits: { maxBytes: this.config.NDJSON_MAX_BYTES, maxLineBytes: this.config.NDJSON_MAX_LINE_BYTES },
      batchSize: this.config.WRITE_BATCH_SIZE,
      parse: (text, line) => {
        const json = parseJsonLine(text);
        if ('error' in json) return json;
        const parsed = MemberLineSchema.safeParse(json.value);
        return parsed.success ? { line, recipientId: parsed.data.recipientId } : { error: 'expected {"recipientId": "<1 to 128 characters>"}' };
      },
      write: (items) =>
        this.runtime.transaction(async (manager, outbox) => {
          const locked = await this.lists.find(manager, orgId, listId, true);
          if (!locked) throw Errors.notFound('list');
          const rids = await this.recipients.rids(manager, orgId, [...new Set(items.map((i) => i.recipientId))]);
          for (const i of items) if (!rids.has(i.recipientId)) report.reject(i.line, `recipient ${i.recipientId} not found`);
          const changed = await this.lists.setPresence(manager, locked.listPk, [...new Set(rids.values())], present);
          // memberships changed, not lines: an unknown, repeated or already-member line changes nothing
          if (changed.length === 0) return 0;
          const size = await this.lists.adjustSize(manager, locked.listPk, present ? changed.length : -changed.length);
          this.changes.record(outbox, manager, orgId, changed.map((rid) => ({ kind: 'recipient' as const, rid })));
          outbox.add(Topics.listUpdated, orgId, { listId, size, added: present ? changed.length : 0, removed: present ? 0 : changed.length, cause: 'members-edited' });
          return changed.length;
        }),
    });
    return report.toJSON();
  }

  async require(orgId: string, listId: string): Promise<ListRecord> {
    const list = await this.lists.find(this.runtime.dataSource.manager, orgId, listId);
    if (!list) throw Errors.notFound('list');
    return list;
  }
}
