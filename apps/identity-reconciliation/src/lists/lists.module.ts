import { Module } from '@nestjs/common';
import { DataSourcesModule } from '../data-sources/data-sources.module';
import { ExportsModule } from '../exports/exports.module';
import { ListPurger } from './list-purger';
import { ListsController } from './lists.controller';
import { ListsService } from './lists.service';

@Module({ imports: [DataSourcesModule, ExportsModule], controllers: [ListsController], providers: [ListsService, ListPurger] })
export class ListsModule {}
