import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Prefixes topics and groups so that several runs can share one broker (tests); empty in production. */
  namespace: string;
  partitions: number;
  replicationFactor: number;
  /** SASL credentials of this client's principal; none: an anonymous client (which a secured broker refuses). */
  sasl?: KafkaSasl | null;
  ssl?: boolean;
}

export interface KafkaSasl {
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

/** The SASL settings of a validated config (KAFKA_SASL_*), or null without a mechanism. */
export function saslOf(c: { KAFKA_SASL_MECHANISM: '' | KafkaSasl['mechanism']; KAFKA_SASL_USERNAME: string; KAFKA_SASL_PASSWORD: string }): KafkaSasl | null {
  return c.KAFKA_SASL_MECHANISM ? { mechanism: c.KAFKA_SASL_MECHANISM, username: c.KAFKA_SASL_USERNAME, password: c.KAFKA_SASL_PASSWORD } : null;
}

/** Maps contract topic names to the physical names of this deployment. */
export class TopicNamer {
  constructor(private readonly namespace: string) {}

  physical(topic: string): string {
    return this.namespace ? `${this.namespace}.${topic}` : topic;
  }

  logical(physical: string): string {
    return this.namespace && physical.startsWith(`${this.namespace}.`) ? physical.slice(this.namespace.length + 1) : physical;
  }

  group(groupId: string): string {
    return this.namespace ? `${this.namespace}.${groupId}` : groupId;
  }
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ...(settings.sasl ? { sasl: { ...settings.sasl } as never } : {}),
    ...(settings.ssl ? { ssl: true } : {}),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        // kafkajs warns whenever an idempotent producer's retries are bounded; ours are, on purpose
        const lvl = String(message).startsWith('Limiting retries') ? 'debug' : (LEVELS[level] ?? 'info');
        logger[lvl]({ kafka: extra }, String(message));
      },
  });
}
