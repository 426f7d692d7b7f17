import 'reflect-metadata';
import { runService } from '@audx/platform';
import { AppModule } from './app.module';
import { loadIngestionConfig } from './config';
import { entities } from './entities';
import { migrations } from './migrations';

void runService({
  service: 'segment-ingestion',
  title: 'Audience Exchange segment ingestion',
  loadConfig: loadIngestionConfig,
  port: (c) => c.PORT,
  database: (c) => c.MYSQL_DATABASE,
  entities,
  migrations,
  rootModule: (runtime, config) => AppModule.register(runtime, config),
});
