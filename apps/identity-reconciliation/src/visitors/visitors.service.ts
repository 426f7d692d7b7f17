import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { IsoDateSchema, VisitorIdentified } from '@audx/contracts';
import { VISITOR_ID } from '@audx/identifiers';
import type { OutboxWriter } from '@audx/messaging';
import { APP_CONFIG, ServiceRuntime } from '@audx/platform';
import { ChangeLog } from '../changes/change-log';
import { retryOnDeadlock } from '../common/deadlock';
import { describeIssues, parseJsonLine } from '../common/ndjson';
import { writeNdjsonInBatches } from '../common/ndjson-batch-writer';
import { NdjsonReport } from '../common/ndjson-report';
import type { IdentityConfig } from '../config';
import { type VisitorLink, VisitorsRepository } from './visitors.repository';

/** A line of POST /v1/visitors; `observedAt` defaults to the time of the request. */
export const VisitorLineSchema = z
  .object({
    visitorId: z.string().regex(VISITOR_ID, 'visitor id must be 38 digits'),
    recipientId: z.string().trim().min(1).max(128),
    observedAt: IsoDateSchema.optional(),
  })
  .strict();

@Injectable()
export class VisitorsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(VisitorsRepository) private readonly visitors: VisitorsRepository,
    @Inject(ChangeLog) private readonly changes: ChangeLog,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
  ) {}

  async linkStream(orgId: string, body: Readable): Promise<NdjsonReport> {
    const report = new NdjsonReport('linked');
    const now = new Date();
    await writeNdjsonInBatches(body, report, {
      limits: { maxBytes: this.config.NDJSON_MAX_BYTES, maxLineBytes: this.config.NDJSON_MAX_LINE_BYTES },
      batchSize: this.config.WRITE_BATCH_SIZE,
      parse: (text) => parseVisitorLine(text, now),
      write: (links) => retryOnDeadlock(() => this.runtime.transaction((m, outbox) => this.linkIn(m, outbox, orgId, links))),
    });
    return report;
  }

  /** `visitor.identified` */
  async linkOne(manager: EntityManager, outbox: OutboxWriter, orgId: string, p: VisitorIdentified): Promise<void> {
    await this.linkIn(manager, outbox, orgId, [{ visitorId: p.visitorId, recipientId: p.recipientId.trim(), linkedAt: new Date(p.observedAt) }]);
  }

  /** The tracking redirect's link: only to a recipient the org knows. Answers whether it linked. */
  async linkFromRedirect(orgId: string, visitorId: string, recipientId: string): Promise<boolean> {
    return retryOnDeadlock(() =>
      this.runtime.transaction(async (m, outbox) => {
        const [found] = (await m.query('SELECT 1 AS ok FROM recipients WHERE org_id = ? AND recipient_id = ?', [orgId, recipientId])) as { ok: number }[];
        if (!found) return false;
        await this.linkIn(m, outbox, orgId, [{ visitorId, recipientId, linkedAt: new Date() }]);
        return true;
      }),
    );
  }

  /** Links in the caller's transaction; the recipients whose visitors changed export something else now. */
  private async linkIn(manager: EntityManager, outbox: OutboxWriter, orgId: string, links: VisitorLink[]): Promise<void> {
    const touched = await this.visitors.link(manager, orgId, links, this.config.WRITE_BATCH_SIZE);
    this.changes.record(outbox, manager, orgId, touched.map((recipientId) => ({ kind: 'recipientId', recipientId })));
  }
}

function parseVisitorLine(text: string, now: Date): VisitorLink | { error: string } {
  const json = parseJsonLine(text);
  if ('error' in json) return json;
  const parsed = VisitorLineSchema.safeParse(json.value);
  if (!parsed.success) return { error: describeIssues(parsed.error.issues) };
  return { visitorId: parsed.data.visitorId, recipientId: parsed.data.recipientId, linkedAt: parsed.data.observedAt ? new Date(parsed.data.observedAt) : now };
}
