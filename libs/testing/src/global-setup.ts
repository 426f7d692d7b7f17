import { randomBytes } from 'node:crypto';
import { exportKafkaCredentials } from './kafka-credentials';
import { runStackScript } from './stack';

/**
 * Uses KAFKA_BROKERS / MYSQL_URL when set, otherwise brings up the local broker and MariaDB.
 * Never skips: an integration run that cannot reach its services fails here, loudly.
 */
export default async function globalSetup(): Promise<void> {
  process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
  process.env.MYSQL_URL ??= 'mysql://root@127.0.0.1:3306';
  runStackScript('mysql');
  runStackScript('kafka', ['start']);
  // the local broker is secured (SASL/SCRAM, ACLs): test code speaks as its operator
  exportKafkaCredentials();
  process.env.AUDX_TEST_NAMESPACE = `t${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
}
