import { Controller, Inject, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AudienceResync, RecipientDeleted, RecipientUpserted, SegmentChanged, SegmentImported, Topics, VisitorIdentified } from '@audx/contracts';
import type { ConsumeContext } from '@audx/messaging';
import { ExportsModule } from './exports/exports.module';
import { ExportsService } from './exports/exports.service';
import { ResyncRunner } from './exports/resync-runner';
import { ChunkIntake } from './imports/chunk-intake';
import { ImportsModule } from './imports/imports.module';
import { ListsRepository } from './lists/lists.repository';
import { RecipientsModule } from './recipients/recipients.module';
import { RecipientsService } from './recipients/recipients.service';
import { VisitorsModule } from './visitors/visitors.module';
import { VisitorsService } from './visitors/visitors.service';

/**
 * The topics this service consumes. Each handler runs inside the batch consumer's transaction
 * (`ctx.manager`), which also records the event id (exactly-once effects) and flushes the outbox.
 */
@Controller()
class IdentityEventsController {
  constructor(
    @Inject(ChunkIntake) private readonly intake: ChunkIntake,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(RecipientsService) private readonly recipients: RecipientsService,
    @Inject(VisitorsService) private readonly visitors: VisitorsService,
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(ResyncRunner) private readonly resyncs: ResyncRunner,
  ) {}

  @EventPattern(Topics.segmentImported)
  async segmentImported(@Payload() chunk: SegmentImported, @Ctx() ctx: ConsumeContext<typeof Topics.segmentImported>): Promise<void> {
    await this.intake.accept(ctx.manager, ctx.outbox, ctx.orgId, chunk);
  }

  @EventPattern(Topics.recipientUpserted)
  async recipientUpserted(@Payload() recipient: RecipientUpserted, @Ctx() ctx: ConsumeContext<typeof Topics.recipientUpserted>): Promise<void> {
    await this.recipients.upsertOne(ctx.manager, ctx.outbox, ctx.orgId, recipient);
  }

  @EventPattern(Topics.recipientDeleted)
  async recipientDeleted(@Payload() { recipientId }: RecipientDeleted, @Ctx() ctx: ConsumeContext<typeof Topics.recipientDeleted>): Promise<void> {
    await this.recipients.eraseIn(ctx.manager, ctx.outbox, ctx.orgId, recipientId);
  }

  @EventPattern(Topics.visitorIdentified)
  async visitorIdentified(@Payload() link: VisitorIdentified, @Ctx() ctx: ConsumeContext<typeof Topics.visitorIdentified>): Promise<void> {
    await this.visitors.linkOne(ctx.manager, ctx.outbox, ctx.orgId, link);
  }

  @EventPattern(Topics.segmentChanged)
  async segmentChanged(@Payload() { name: segmentId, record }: SegmentChanged, @Ctx() ctx: ConsumeContext<typeof Topics.segmentChanged>): Promise<void> {
    // a deleted segment leaves its lists' labels as they are: labels only ever restrict
    if (record) await this.lists.setSegmentLabels(ctx.manager, ctx.orgId, segmentId, record.labels, record.asOfSequence);
  }

  @EventPattern(Topics.audienceResync)
  async audienceResync(@Payload() resync: AudienceResync, @Ctx() ctx: ConsumeContext<typeof Topics.audienceResync>): Promise<void> {
    await this.exports.requestResync(ctx.manager, ctx.orgId, resync);
    this.resyncs.wake();
  }
}

@Module({ imports: [ImportsModule, RecipientsModule, VisitorsModule, ExportsModule], controllers: [IdentityEventsController] })
export class ConsumersModule {}
