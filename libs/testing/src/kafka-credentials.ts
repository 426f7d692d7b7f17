import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './stack';

// no import of workspace libraries here: jest's global setup and teardown load this file without
// the path mapping, and libs/messaging's own tests use this library

/** As libs/messaging's KafkaSasl. */
export interface KafkaSasl {
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

/** The principals' passwords of this checkout's secured broker (tools/stack/kafka.mjs), or null for a plaintext one. */
export function localKafkaUsers(varDir = process.env.AUDX_VAR_DIR ?? path.join(repoRoot, '.var')): Record<string, string> | null {
  const file = path.join(varDir, 'kafka', 'credentials.json');
  const mode = path.join(varDir, 'kafka', 'security');
  if (process.env.KAFKA_SECURITY === 'none' || !fs.existsSync(file) || !fs.existsSync(mode) || fs.readFileSync(mode, 'utf8').trim() !== 'sasl') return null;
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Record<string, string> }).users;
}

/**
 * Global setup: test code and the processes it spawns talk to the local secured broker as its
 * operator (`admin`), unless KAFKA_SASL_* are already set; TestStack then runs each service as its
 * own principal. A plaintext broker needs nothing.
 */
export function exportKafkaCredentials(env: NodeJS.ProcessEnv = process.env): void {
  if (env.KAFKA_SASL_MECHANISM) return;
  const users = localKafkaUsers();
  if (!users) return;
  Object.assign(env, { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'admin', KAFKA_SASL_PASSWORD: users.admin });
}

/** The SASL settings of test clients (the operator's, from global setup), or null on a plaintext broker. */
export function testKafkaSasl(env: NodeJS.ProcessEnv = process.env): KafkaSasl | null {
  const mechanism = env.KAFKA_SASL_MECHANISM as KafkaSasl['mechanism'] | undefined;
  return mechanism ? { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' } : null;
}

/** kcat's options for a producer that is not ours: the outside producers' principal, or none on a plaintext broker. */
export function kcatSaslArgs(users: Record<string, string> | null = localKafkaUsers()): string[] {
  if (!users || !process.env.KAFKA_SASL_MECHANISM) return [];
  return ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=audx-outside-producer', '-X', `sasl.password=${users['audx-outside-producer']}`];
}

/** For a raw kafkajs client in tests: the operator's SASL settings, if the broker is secured. */
export function kafkaAuth(): { sasl?: never } {
  const sasl = testKafkaSasl();
  return sasl ? { sasl: { ...sasl } as never } : {};
}
