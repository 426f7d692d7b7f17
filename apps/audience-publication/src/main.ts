import 'reflect-metadata';
import { runService } from '@audx/platform';
import { AppModule } from './app.module';
import { loadPublicationConfig } from './config';
import { entities } from './entities';
import { migrations } from './migrations';

void runService({
  service: 'audience-publication',
  title: 'Audience Exchange audience publication',
  loadConfig: loadPublicationConfig,
  port: (c) => c.PORT,
  database: (c) => c.MYSQL_DATABASE,
  entities,
  migrations,
  rootModule: (runtime, config) => AppModule.register(runtime, config),
});
