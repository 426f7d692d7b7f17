import { Module } from '@nestjs/common';
import { DataSourcesModule } from '../data-sources/data-sources.module';
import { ExportsService } from '../exports/exports.service';
import { SharesController } from '../exports/shares.controller';
import { ListsController } from './lists.controller';
import { ListsService } from './lists.service';

@Module({ imports: [DataSourcesModule], controllers: [ListsController, SharesController], providers: [ListsService, ExportsService] })
export class ListsModule {}
