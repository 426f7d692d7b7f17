import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { Topics } from '@audx/contracts';
import { handlerFor } from '@audx/messaging';
import { ServiceRuntime } from '@audx/platform';
import { ExportsModule } from './exports/exports.module';
import { ExportsService } from './exports/exports.service';
import { ResyncRunner } from './exports/resync-runner';
import { ImportApplier } from './imports/import-applier';
import { ImportStager } from './imports/import-stager';
import { ImportsModule } from './imports/imports.module';
import { RecipientsModule } from './recipients/recipients.module';
import { RecipientsService } from './recipients/recipients.service';
import { VisitorsModule } from './visitors/visitors.module';
import { VisitorsService } from './visitors/visitors.service';

/**
 * The topics this service consumes. Each handler runs inside the batch consumer's transaction,
 * which also records the event id (exactly-once effects) and flushes the outbox.
 */
@Injectable()
class ConsumerRegistry implements OnModuleInit {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ImportStager) private readonly stager: ImportStager,
    @Inject(ImportApplier) private readonly applier: ImportApplier,
    @Inject(RecipientsService) private readonly recipients: RecipientsService,
    @Inject(VisitorsService) private readonly visitors: VisitorsService,
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(ResyncRunner) private readonly resyncs: ResyncRunner,
  ) {}

  onModuleInit(): void {
    this.runtime.handle(
      handlerFor(Topics.segmentImported, async ({ manager, outbox, envelope }) => {
        if ((await this.stager.stage(manager, outbox, envelope.orgId, envelope.payload)) === 'ready') this.applier.wake();
      }),
    );
    this.runtime.handle(handlerFor(Topics.recipientUpserted, ({ manager, outbox, envelope }) => this.recipients.upsertOne(manager, outbox, envelope.orgId, envelope.payload)));
    this.runtime.handle(
      handlerFor(Topics.recipientDeleted, async ({ manager, outbox, envelope }) => {
        await this.recipients.eraseIn(manager, outbox, envelope.orgId, envelope.payload.recipientId);
      }),
    );
    this.runtime.handle(handlerFor(Topics.visitorIdentified, ({ manager, outbox, envelope }) => this.visitors.linkOne(manager, outbox, envelope.orgId, envelope.payload)));
    this.runtime.handle(
      handlerFor(Topics.audienceResync, async ({ manager, envelope }) => {
        await this.exports.requestResync(manager, envelope.orgId, envelope.payload);
        this.resyncs.wake();
      }),
    );
  }
}

@Module({ imports: [ImportsModule, RecipientsModule, VisitorsModule, ExportsModule], providers: [ConsumerRegistry] })
export class ConsumersModule {}
