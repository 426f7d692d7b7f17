import 'reflect-metadata';
import { runService } from '@audx/platform';
import { AppModule } from './app.module';
import { loadIdentityConfig } from './config';
import { entities } from './entities';
import { migrations } from './migrations';

/** These read their raw request stream (NDJSON, any size): no body parser may touch them. */
const STREAMED_PATHS = new Set(['/v1/recipients', '/v1/visitors']);

void runService({
  service: 'identity-reconciliation',
  title: 'Audience Exchange identity reconciliation',
  loadConfig: loadIdentityConfig,
  port: (c) => c.PORT,
  database: (c) => c.MYSQL_DATABASE,
  entities,
  migrations,
  rootModule: (runtime, config) => AppModule.register(runtime, config),
  jsonBody: { limit: '1mb', skip: (req) => req.method === 'POST' && STREAMED_PATHS.has(req.path) },
});
