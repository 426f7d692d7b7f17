/** What global setup decided for this run: the stack endpoints and a namespace unique to the run. */
export interface TestEnv {
  kafkaBrokers: string;
  mysqlUrl: string;
  namespace: string;
}

export function testEnv(): TestEnv {
  const namespace = process.env.AUDX_TEST_NAMESPACE;
  if (!namespace) throw new Error('AUDX_TEST_NAMESPACE is not set: run integration tests through jest global setup');
  return {
    kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    mysqlUrl: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    namespace,
  };
}

/** The database a service uses in this run: its default name plus the run's namespace. */
export function testDatabase(base: string, env: TestEnv = testEnv()): string {
  return `${base}_${env.namespace}`.replace(/[^a-z0-9_]/g, '_');
}
