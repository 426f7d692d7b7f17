import 'reflect-metadata';
import type { Server } from 'node:http';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { KafkaBatchTransport, RethrowRpcErrors } from '@audx/messaging';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { ConfigError } from './config';
import type { BaseConfig } from './config';
import { HttpErrorFilter } from './http-exception.filter';
import { createLogger } from './logger';
import { PinoNestLogger } from './nest-logger';
import { jsonBody } from './json-body';
import { requestContext } from './request-context';
import { RuntimeOptions, ServiceRuntime } from './service-runtime';

export interface ServiceDefinition<C extends BaseConfig> {
  service: string;
  title: string;
  loadConfig: () => C;
  port: (config: C) => number;
  database: (config: C) => string;
  entities: RuntimeOptions['entities'];
  migrations: RuntimeOptions['migrations'];
  /** The root module, given the runtime and config. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  rootModule: (runtime: ServiceRuntime, config: C) => Type<any> | import('@nestjs/common').DynamicModule;
  /**
   * JSON request bodies, parsed for every request except those `skip` leaves to their route
   * (raw streams, OAuth forms). Default: 1mb, nothing skipped.
   */
  jsonBody?: { limit: string; skip?: (req: Request) => boolean };
}

/** Boots a service: validated config, migrated schema, Kafka, HTTP, consumers, graceful SIGTERM. Exits 1 if it cannot. */
export async function runService<C extends BaseConfig>(def: ServiceDefinition<C>): Promise<{ app: INestApplication; runtime: ServiceRuntime }> {
  try {
    return await boot(def);
  } catch (err) {
    process.stderr.write(`${def.service} failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
}

async function boot<C extends BaseConfig>(def: ServiceDefinition<C>): Promise<{ app: INestApplication; runtime: ServiceRuntime }> {
  let config: C;
  try {
    config = def.loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${def.service}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(def.service, config.LOG_LEVEL);
  const runtime = await ServiceRuntime.open({ service: def.service, config, database: def.database(config), logger, entities: def.entities, migrations: def.migrations });
  const app = await NestFactory.create<NestExpressApplication>(def.rootModule(runtime, config), {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  app.disable('x-powered-by');
  // the client's address is the socket's unless a known number of proxies stands in front
  app.set('trust proxy', config.TRUST_PROXY_HOPS > 0 ? config.TRUST_PROXY_HOPS : false);
  app.use(requestContext(logger, runtime.metrics));
  app.use(jsonBody(def.jsonBody ?? { limit: '1mb' }));
  app.useGlobalFilters(new HttpErrorFilter(logger));
  const doc = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle(def.title).setVersion('1').addBearerAuth().build());
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/openapi.json' });
  // a hybrid application: HTTP, and the @EventPattern handlers served by the batch consumer
  const events = app.connectMicroservice<MicroserviceOptions>({ strategy: new KafkaBatchTransport(runtime.consumerOptions()) });
  events.useGlobalFilters(new RethrowRpcErrors());
  await app.init();
  await app.startAllMicroservices();
  const port = def.port(config);
  await app.listen(port, config.HOST);
  // Node cuts any request after 300 s by default, which would fail a big upload half way
  const server = app.getHttpServer() as Server;
  server.requestTimeout = 0;
  server.setTimeout(config.HTTP_IDLE_TIMEOUT_SECONDS * 1000);
  logger.info({ port, host: config.HOST }, `${def.service} listening`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    try {
      await app.close();
      await runtime.close();
      clearTimeout(timer);
      logger.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      logger.error({ err: String(err) }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return { app, runtime };
}
