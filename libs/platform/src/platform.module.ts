import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventProducer } from '@audx/messaging';
import { HealthController } from './health.controller';
import { Metrics } from './metrics';
import { Readiness } from './readiness';
import { ServiceRuntime } from './service-runtime';

export const LOGGER = Symbol('LOGGER');
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Makes the runtime's pieces injectable everywhere in the app, and serves health and metrics. */
@Global()
@Module({})
export class PlatformModule {
  static forRuntime(runtime: ServiceRuntime, config: unknown): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers: [
        { provide: ServiceRuntime, useValue: runtime },
        { provide: DataSource, useValue: runtime.dataSource },
        { provide: EventProducer, useValue: runtime.producer },
        { provide: Metrics, useValue: runtime.metrics },
        { provide: Readiness, useValue: runtime.readiness },
        { provide: LOGGER, useValue: runtime.logger },
        { provide: APP_CONFIG, useValue: config },
      ],
      exports: [ServiceRuntime, DataSource, EventProducer, Metrics, Readiness, LOGGER, APP_CONFIG],
    };
  }
}
