/**
 * What an operator does on a secured broker before the services start (npm start runs it): the
 * contract topics of the deployment (KAFKA_NAMESPACE, empty by default) and every principal's ACLs
 * on them (libs/messaging/src/kafka-access.ts), as the broker's `admin`. Then prints where a
 * producer that is not ours finds its credentials. Nothing to do on a plaintext broker.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { TopicNamer, createKafka, ensureTopics, grantAcls } from '@audx/messaging';

async function main(): Promise<void> {
  const varDir = process.env.AUDX_VAR_DIR ?? path.join(__dirname, '../../.var');
  const file = path.join(varDir, 'kafka', 'credentials.json');
  const quiet = process.env.AUDX_PROVISION_QUIET === '1';
  // the operator's password: given (a broker of a test's own), or this checkout's broker's
  const secured = process.env.KAFKA_SECURITY !== 'none' && fs.existsSync(file);
  const adminPassword = process.env.KAFKA_ADMIN_PASSWORD ?? (secured ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Record<string, string> }).users.admin : null);
  if (!adminPassword) return void console.log('[kafka] a plaintext broker: no ACLs to grant');
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const namespace = process.env.KAFKA_NAMESPACE ?? '';
  const kafka = createKafka({ brokers, clientId: 'audx-operator', namespace, partitions: 3, replicationFactor: 1, sasl: { mechanism: 'scram-sha-256', username: 'admin', password: adminPassword } }, pino({ level: 'warn' }));
  const namer = new TopicNamer(namespace);
  await ensureTopics(kafka, namer, { partitions: Number(process.env.KAFKA_PARTITIONS ?? 3), replicationFactor: 1 });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const n = await grantAcls(admin, namer);
    if (!quiet) console.log(`[kafka] topics provisioned and ${n} ACLs granted (SASL/SCRAM-SHA-256; one principal per service)`);
  } finally {
    await admin.disconnect();
  }
  const outside = path.join(varDir, 'kafka-credentials.json');
  if (!quiet && fs.existsSync(outside)) {
    const c = JSON.parse(fs.readFileSync(outside, 'utf8')) as { bootstrap: string; username: string; password: string };
    console.log(`[kafka] outside producers (segment.membership, recipient.*, visitor.identified): ${c.bootstrap} SASL_PLAINTEXT SCRAM-SHA-256 user ${c.username} password ${c.password} (kept in ${path.relative(process.cwd(), outside)})`);
  }
}

main().catch((err: unknown) => {
  console.error(`[kafka] provisioning failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
