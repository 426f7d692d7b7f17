import 'reflect-metadata';
import { runService } from '@audx/platform';
import { AppModule } from './app.module';
import { loadImsConfig } from './config';
import { entities } from './entities';
import { migrations } from './migrations';

/** These read their own form bodies (url-encoded or multipart) with OAuth-shaped errors. */
const OAUTH_PATHS = new Set(['/ims/token/v3', '/ims/token/v2', '/ims/validate_token/v1', '/ims/invalidate_token/v2']);

void runService({
  service: 'ims',
  title: 'Audience Exchange IMS',
  loadConfig: loadImsConfig,
  port: (c) => c.PORT,
  database: (c) => c.MYSQL_DATABASE,
  entities,
  migrations,
  rootModule: (runtime, config) => AppModule.register(runtime, config),
  jsonBody: { limit: '64kb', skip: (req) => OAUTH_PATHS.has(req.path) },
});
