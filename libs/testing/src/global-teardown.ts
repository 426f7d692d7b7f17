import { createConnection } from 'mysql2/promise';
import { Kafka, logLevel } from 'kafkajs';

/** Drops the run's databases and topics so that runs do not accumulate state. */
export default async function globalTeardown(): Promise<void> {
  const ns = process.env.AUDX_TEST_NAMESPACE;
  if (!ns || process.env.AUDX_KEEP_TEST_STATE === '1') return;
  const conn = await createConnection({ uri: process.env.MYSQL_URL });
  try {
    const [rows] = await conn.query('SHOW DATABASES');
    for (const r of rows as { Database: string }[]) {
      if (r.Database.endsWith(`_${ns}`)) await conn.query(`DROP DATABASE \`${r.Database}\``);
    }
  } finally {
    await conn.end();
  }
  const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(ns));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30000 });
  } catch {
    /* best effort */
  } finally {
    await admin.disconnect();
  }
}
