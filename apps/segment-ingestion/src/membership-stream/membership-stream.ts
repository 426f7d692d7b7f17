import { randomBytes } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Topics } from '@audx/contracts';
import { isVisitorId } from '@audx/identifiers';
import type { OutboxWriter } from '@audx/messaging';
import { APP_CONFIG, LOGGER, ServiceRuntime } from '@audx/platform';
import type { IngestionConfig } from '../config';
import { DataSourceReplica } from '../data-sources/data-source-replica.repository';
import { ChunkBuilder } from '../imports/chunk-builder';
import { chunkEventId } from '../imports/import-pipeline';
import { ImportsRepository } from '../imports/imports.repository';
import { Receipt } from '../imports/receipt';
import { PoliciesRepository } from '../policies/policies.repository';
import { SegmentGate } from '../policies/segment-gate';
import { SegmentsRepository } from '../segments/segments.repository';
import { BufferedMembership, MembershipBufferRepository } from './membership-buffer.repository';

const FLUSH_ROWS = 20000;

/**
 * `segment.membership` events are buffered in MySQL by the consumer, and every STREAM_FLUSH_MS the
 * buffer becomes one `iter` import per (org, data source): the import row and its chunks are
 * written in one transaction through the outbox, so nothing is lost or doubled by a crash.
 */
@Injectable()
export class MembershipStream implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(MembershipBufferRepository) private readonly buffer: MembershipBufferRepository,
    @Inject(DataSourceReplica) private readonly dataSources: DataSourceReplica,
    @Inject(PoliciesRepository) private readonly policies: PoliciesRepository,
    @Inject(SegmentsRepository) private readonly segments: SegmentsRepository,
    @Inject(APP_CONFIG) private readonly config: IngestionConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

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
    const rows = await this.buffer.takeOldest(manager, FLUSH_ROWS);
    if (rows.length === 0) return 0;
    const groups = new Map<string, BufferedMembership[]>();
    for (const r of rows) {
      const key = `${r.org_id}\u0000${r.data_source}`;
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    for (const group of groups.values()) await this.toImport(manager, outbox, group);
    await this.buffer.remove(manager, rows.map((r) => r.id));
    return rows.length;
  }

  private async toImport(manager: EntityManager, outbox: OutboxWriter, rows: BufferedMembership[]): Promise<void> {
    const orgId = rows[0].org_id;
    const name = rows[0].data_source;
    const importId = `imp_${randomBytes(12).toString('hex')}`;
    const dataSource = await this.dataSources.find(orgId, name);
    const seq = await this.imports.create({ importId, orgId, status: 'receiving', source: 'stream', dataSource: name, format: 'stream', mode: 'iter', fileName: null }, manager);
    const receipt = new Receipt();
    receipt.recordsReceived = rows.length;
    if (!dataSource) {
      await this.imports.rejectStreamed(manager, seq, `unknown data source '${name}'`, receipt.view());
      return;
    }
    const gate = await SegmentGate.open(orgId, this.policies, this.segments);
    await gate.decide(rows.map((r) => r.segment_id));
    // The latest event per (user, segment) wins.
    const latest = new Map<string, BufferedMembership>();
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
    const chunks = new ChunkBuilder({ importId, sequence: Number(seq), dataSource: name, mode: 'iter' }, (segmentId) => gate.labels.get(segmentId) ?? []);
    for (const payload of chunks.build([...members.values()], true, receipt.invalidIds)) {
      outbox.add(Topics.segmentImported, orgId, payload, { id: chunkEventId(importId, payload.seq) });
    }
    await this.imports.handOnStreamed(manager, seq, receipt.view(), gate.violations);
  }
}
