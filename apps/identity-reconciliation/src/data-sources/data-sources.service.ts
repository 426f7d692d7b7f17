import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Topics } from '@audx/contracts';
import type { OutboxWriter } from '@audx/messaging';
import { APP_CONFIG, Errors, LOGGER, ServiceRuntime, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import { ChangeLog } from '../changes/change-log';
import type { IdentityConfig } from '../config';
import { DATA_SOURCE_NAME, DEFAULT_DATA_SOURCE, DataSourceRecord, changedPayload, defaultDataSource } from './data-source';
import { DataSourcePage, DataSourceView, PutDataSourceDto, dataSourceView } from './data-sources.dto';
import { DataSourcesRepository } from './data-sources.repository';

@Injectable()
export class DataSourcesService implements OnApplicationBootstrap {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(DataSourcesRepository) private readonly repo: DataSourcesRepository,
    @Inject(ChangeLog) private readonly changes: ChangeLog,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Keys stored in plain by an earlier version are sealed before the first request. */
  async onApplicationBootstrap(): Promise<void> {
    const sealed = await this.runtime.dataSource.transaction((manager) => this.repo.sealPlainKeys(manager));
    if (sealed > 0) this.logger.info({ sealed }, 'sealed data-source keys stored in plain');
  }

  async put(orgId: string, name: string, body: PutDataSourceDto): Promise<{ created: boolean; view: DataSourceView }> {
    if (!DATA_SOURCE_NAME.test(name)) throw Errors.badRequest('data source name: 1 to 64 letters, digits, _ . or -');
    if (name === DEFAULT_DATA_SOURCE && body.kind !== 'visitor') throw Errors.unprocessable(`${DEFAULT_DATA_SOURCE} is the Visitor ID data source; its kind cannot change`);
    return this.runtime.transaction(async (manager, outbox) => {
      const existing = await this.repo.find(manager, orgId, name, true);
      const now = new Date();
      const record: DataSourceRecord = {
        orgId,
        name,
        label: body.label,
        kind: body.kind,
        reconciliationKey: body.kind === 'declared' ? (body.reconciliationKey ?? null) : null,
        dpid: body.dpid,
        destinationId: body.destinationId ?? null,
        alias: body.alias ?? null,
        hash: body.hash,
        encryption: body.encryption ? { keyHex: body.encryption.keyHex, ivHex: body.encryption.ivHex, channel: body.encryption.channel } : null,
        priority: body.priority,
        exportControls: [...new Set(body.exportControls)],
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      await this.repo.save(manager, record);
      // new rules may change what every list shares through this data source
      if (existing) this.changes.record(outbox, manager, orgId, [{ kind: 'org' }]);
      outbox.add(Topics.datasourceChanged, orgId, changedPayload(record));
      return { created: existing === null, view: dataSourceView(record) };
    });
  }

  /**
   * Deletes a data source no list, share or import uses (409 naming what does); its deletion is
   * published on `datasource.changed`, so segment-ingestion refuses new files for it.
   */
  async remove(orgId: string, name: string): Promise<void> {
    if (name === DEFAULT_DATA_SOURCE) throw Errors.conflict(`${DEFAULT_DATA_SOURCE} is every org's Visitor ID data source; it cannot be deleted`);
    await this.runtime.transaction(async (manager, outbox) => {
      if (!(await this.repo.find(manager, orgId, name, true))) throw Errors.notFound('data source');
      const uses = await this.repo.usage(manager, orgId, name);
      if (uses.length > 0) {
        throw Errors.conflict(`data source ${name} is in use: ${uses.map((u) => `${u.count} ${u.what} (such as ${u.example})`).join(', ')}; delete or move those first`);
      }
      await this.repo.remove(manager, orgId, name);
      outbox.add(Topics.datasourceChanged, orgId, { name, deleted: true, record: null });
    });
  }

  async list(orgId: string, after: string | undefined, limit: string | undefined): Promise<DataSourcePage> {
    const take = parseLimit(limit, 100, 1000);
    const cursor = decodeCursor(after, 1);
    await this.ensureDefault(orgId);
    const found = await this.repo.page(this.runtime.dataSource.manager, orgId, cursor ? String(cursor[0]) : null, take);
    return { items: found.map(dataSourceView), next: found.length === take ? encodeCursor([found[found.length - 1].name]) : null };
  }

  async get(orgId: string, name: string): Promise<DataSourceView> {
    const ds = await this.resolve(this.runtime.dataSource.manager, orgId, name);
    if (!ds) throw Errors.notFound('data source');
    return dataSourceView(ds);
  }

  /**
   * The data source, or null. `defaultDataSource` always exists: it is created (and published on
   * `datasource.changed`) the first time an org needs it, in the caller's transaction when given.
   */
  async resolve(manager: EntityManager, orgId: string, name: string, outbox?: OutboxWriter): Promise<DataSourceRecord | null> {
    const found = await this.repo.find(manager, orgId, name);
    if (found || name !== DEFAULT_DATA_SOURCE) return found;
    if (outbox) {
      const record = defaultDataSource(orgId, this.config.DEFAULT_DPID);
      if (await this.repo.save(manager, record, true)) outbox.add(Topics.datasourceChanged, orgId, changedPayload(record));
      return (await this.repo.find(manager, orgId, name)) ?? record;
    }
    await this.ensureDefault(orgId);
    return this.repo.find(manager, orgId, name);
  }

  async ensureDefault(orgId: string): Promise<void> {
    if (await this.repo.find(this.runtime.dataSource.manager, orgId, DEFAULT_DATA_SOURCE)) return;
    await this.runtime.transaction(async (manager, outbox) => {
      const record = defaultDataSource(orgId, this.config.DEFAULT_DPID);
      if (await this.repo.save(manager, record, true)) outbox.add(Topics.datasourceChanged, orgId, changedPayload(record));
    });
  }
}
