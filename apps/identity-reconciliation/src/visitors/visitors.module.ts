import { Module } from '@nestjs/common';
import { TrackingLinksController } from './tracking-links.controller';
import { TrackingLinksService } from './tracking-links.service';
import { VisitorsController } from './visitors.controller';
import { VisitorsService } from './visitors.service';

@Module({ controllers: [VisitorsController, TrackingLinksController], providers: [VisitorsService, TrackingLinksService], exports: [VisitorsService] })
export class VisitorsModule {}
