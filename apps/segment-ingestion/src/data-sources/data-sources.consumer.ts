import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DatasourceChanged, Topics } from '@audx/contracts';
import type { ConsumeContext } from '@audx/messaging';
import { DataSourceReplica } from './data-source-replica.repository';

/** Keeps the local copy of each org's data sources (kind, DPID, priority) from `datasource.changed`. */
@Controller()
export class DataSourcesConsumer {
  constructor(@Inject(DataSourceReplica) private readonly replica: DataSourceReplica) {}

  @EventPattern(Topics.datasourceChanged)
  async changed(@Payload() { name, record, deleted }: DatasourceChanged, @Ctx() ctx: ConsumeContext<typeof Topics.datasourceChanged>): Promise<void> {
    if (deleted || !record) return this.replica.remove(ctx.manager, ctx.orgId, name);
    await this.replica.upsert(ctx.manager, ctx.orgId, { name, kind: record.kind, dpid: record.dpid }, record.priority);
  }
}
