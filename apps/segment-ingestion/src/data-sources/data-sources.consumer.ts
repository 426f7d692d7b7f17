import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@audx/contracts';
import { handlerFor } from '@audx/messaging';
import { ServiceRuntime } from '@audx/platform';
import { DataSourceReplica } from './data-source-replica.repository';

/** Keeps the local copy of each org's data sources (kind and DPID) from `datasource.changed`. */
@Injectable()
export class DataSourcesConsumer implements OnModuleInit {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(DataSourceReplica) private readonly replica: DataSourceReplica,
  ) {}

  onModuleInit(): void {
    this.runtime.handle(
      handlerFor(Topics.datasourceChanged, async ({ manager, envelope }) => {
        const { name, record, deleted } = envelope.payload;
        if (deleted || !record) return this.replica.remove(manager, envelope.orgId, name);
        await this.replica.upsert(manager, envelope.orgId, { name, kind: record.kind, dpid: record.dpid });
      }),
    );
  }
}
