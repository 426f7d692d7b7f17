import { createConnection } from 'mysql2/promise';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel } from 'kafkajs';
import fs from 'node:fs';
import type { ContainerDeps } from './containers';
import { RUN_CONTAINERS } from './global-setup';
import { testKafkaSasl } from './kafka-credentials';

/** Drops the run's databases and topics so that runs do not accumulate state (or stops its containers). */
export default async function globalTeardown(): Promise<void> {
  const containers = (globalThis as Record<symbol, unknown>)[RUN_CONTAINERS] as ContainerDeps | undefined;
  if (containers) {
    // the containers' state goes with them, unless it is to be kept for a look
    if (process.env.AUDX_KEEP_TEST_STATE === '1') return console.log(`[deps] containers kept running (AUDX_KEEP_TEST_STATE=1): ${containers.summary}`);
    await containers.stop();
    fs.rmSync(containers.varDir, { recursive: true, force: true });
    return;
  }
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
  const sasl = testKafkaSasl();
  const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING, ...(sasl ? { sasl: { ...sasl } as never } : {}) }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(ns));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30000 });
    if (sasl) {
      // and the ACLs granted on the run's topics and groups
      const any = { resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
      const { resources } = await admin.describeAcls(any);
      const filters = resources
        .filter((r) => r.resourceName.startsWith(ns))
        .map((r) => ({ ...any, resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType }));
      if (filters.length) await admin.deleteAcls({ filters });
    }
  } catch {
    /* best effort */
  } finally {
    await admin.disconnect();
  }
}
