import { randomBytes } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Topics } from '@audx/contracts';
import { isVisitorId } from '@audx/identifiers';
import { OutboxWriter, batchHandlerFor } from '@audx/messaging';
import { APP_CONFIG, LOGGER, ServiceRuntime } from '@audx/platform';
import type { IngestionConfig } from '../config';
import { DataSourceReplica } from '../data-sources/data-source-replica.repository';
import { chunkEventId } from '../imports/import-pipeline';
import { ImportsRepository } from '../imports/imports.repository';
import { Receipt } from '../imports/receipt';
import { PoliciesRepository } from '../policies/policies.repository';
import { SegmentGate } from '../policies/segment-gate';
import { SegmentsRepository } from '../segments/segments.repository';

interface Buffered {
  id: string;
  org_id: string;
  data_source: string;
  user_id: string;
  segment_id: string;
  realized: number;
}

const FLUSH_ROWS = 20000;

/**
 * `segment.membership` events are buffered in MySQL by the consumer, and every STREAM_FLUSH_MS the
 * buffer becomes one `iter` import per (org, data source): the import row and its chunks are
 * written in one transaction through the outbox, so nothing is lost or doubled by a crash.
 */
@Injectable()
export class MembershipStream implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(DataSourceReplica) private readonly dataSources: DataSourceReplica,
    @Inject(PoliciesRepository) private readonly policies: PoliciesRepository,
    @Inject(SegmentsRepository) private readonly segments: SegmentsRepository,
    @Inject(APP_CONFIG) private readonly config: IngestionConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // a slice of events is buffered by one multi-row insert: at thousands of events a second, a
    // statement per event is what limits the stream
    this.runtime.handle(
      batchHandlerFor(Topics.segmentMembership, async ({ manager, envelopes }) => {
        await manager.query(
          `INSERT INTO membership_buffer (org_id, data_source, user_id, segment_id, realized, observed_at) VALUES ${envelopes.map(() => '(?, ?, ?, ?, ?, ?)').join(',')}`,
          envelopes.flatMap(({ orgId, payload: p }) => [orgId, p.dataSource, p.userId, p.segmentId, p.status === 'realized' ? 1 : 0, new Date(p.observedAt)]),
        );
      }),
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.flushing) this.flushing = this.flush().finally(() => (this.flushing = null));
    }, this.config.STREAM_FLUSH_MS);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
  }

  async flush(): Promise<void> {
    try {
      let moved = 0;
      do moved = await this.runtime.transaction((manager, outbox) => this.flushOnce(manager, outbox));
      while (moved === FLUSH_ROWS);
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'membership stream flush failed; will retry');
    }
  }

  private async flushOnce(manager: EntityManager, outbox: OutboxWriter): Promise<number> {
    const rows: Buffered[] = await manager.query('SELECT id, org_id, data_source, user_id, segment_id, realized FROM membership_buffer ORDER BY id LIMIT ? FOR UPDATE', [FLUSH_ROWS]);
    if (rows.length === 0) return 0;
    const groups = new Map<string, Buffered[]>();
    for (const r of rows) {
      const key = `${r.org_id}\u0000${r.data_source}`;
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    for (const group of groups.values()) await this.toImport(manager, outbox, group);
    await manager.query(`DELETE FROM membership_buffer WHERE id IN (${rows.map(() => '?').join(',')})`, rows.map((r) => r.id));
    return rows.length;
  }

  private async toImport(manager: EntityManager, outbox: OutboxWriter, rows: Buffered[]): Promise<void> {
    const orgId = rows[0].org_id;
    const name = rows[0].data_source;
    const importId = `imp_${randomBytes(12).toString('hex')}`;
    const dataSource = await this.dataSources.find(orgId, name);
    const seq = await this.imports.create({ importId, orgId, status: 'receiving', source: 'stream', dataSource: name, format: 'stream', mode: 'iter', fileName: null }, manager);
    const receipt = new Receipt();
    receipt.recordsReceived = rows.length;
    if (!dataSource) {
      await manager.query("UPDATE imports SET status = 'rejected', failure_reason = ?, receipt = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE seq = ?", [
        `unknown data source '${name}'`,
        JSON.stringify(receipt.view()),
        seq,
      ]);
      return;
    }
    const gate = await SegmentGate.open(orgId, this.policies, this.segments);
    await gate.decide(rows.map((r) => r.segment_id));
    // The latest event per (user, segment) wins.
    const latest = new Map<string, Buffered>();
    for (const r of rows) {
      if (dataSource.kind === 'visitor' && !isVisitorId(r.user_id)) {
        receipt.invalidIds++;
        continue;
      }
      if (!gate.allowed(r.segment_id)) continue;
      latest.set(`${r.user_id}\u0000${r.segment_id}`, r);
    }
    const members = new Map<string, { userId: string; add: string[]; remove: string[] }>();
    for (const r of latest.values()) {
      const m = members.get(r.user_id) ?? { userId: r.user_id, add: [], remove: [] };
      (r.realized ? m.add : m.remove).push(r.segment_id);
      if (r.realized) receipt.membershipsAdded++;
      else receipt.membershipsRemoved++;
      receipt.segments.add(r.segment_id);
      members.set(r.user_id, m);
    }
    const all = [...members.values()];
    const size = this.config.IMPORT_CHUNK_SIZE;
    const chunks = Math.max(1, Math.ceil(all.length / size));
    const segments = [...receipt.segments].map((segmentId) => ({ segmentId, labels: gate.labels.get(segmentId) ?? [] }));
    for (let i = 0; i < chunks; i++) {
      const last = i === chunks - 1;
      outbox.add(
        Topics.segmentImported,
        orgId,
        {
          importId,
          sequence: Number(seq),
          dataSource: name,
          mode: 'iter',
          seq: i,
          last,
          segments,
          members: all.slice(i * size, (i + 1) * size),
          ...(last ? { totals: { chunks, members: all.length, invalidIds: receipt.invalidIds } } : {}),
        },
        { id: chunkEventId(importId, i) },
      );
    }
    await manager.query("UPDATE imports SET status = 'reconciling', receipt = ?, errors = '[]', policy_violations = ? WHERE seq = ?", [
      JSON.stringify(receipt.view()),
      JSON.stringify(gate.violations),
      seq,
    ]);
  }
}
