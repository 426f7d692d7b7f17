import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ContainerDeps, containersUnavailable, removeLeftoverContainers, startContainerDeps } from './containers';
import { exportKafkaCredentials } from './kafka-credentials';
import { repoRoot, runStackScript } from './stack';

/** What teardown must stop: the containers this run started, if it started any. */
export const RUN_CONTAINERS = Symbol.for('audx.test.containers');

type Project = { displayName?: string | { name: string } };

/**
 * Where the run's MySQL and Kafka come from, printed at the start: for the integration project,
 * containers (testcontainers) whenever a Docker engine answers and the local image is built;
 * otherwise, and for the other projects (whose fault tests stop and restart the machine's broker),
 * the machine's services. AUDX_TEST_DEPS=containers|machine forces either; KAFKA_BROKERS or
 * MYSQL_URL set by hand means the machine's (or the given) services.
 */
async function chooseContainers(project: string): Promise<{ use: boolean; why: string }> {
  const wanted = process.env.AUDX_TEST_DEPS ?? 'auto';
  if (!['auto', 'containers', 'machine'].includes(wanted)) throw new Error(`AUDX_TEST_DEPS must be auto, containers or machine, not ${wanted}`);
  if (wanted === 'machine') return { use: false, why: 'AUDX_TEST_DEPS=machine' };
  if (process.env.KAFKA_BROKERS || process.env.MYSQL_URL) return { use: false, why: 'KAFKA_BROKERS or MYSQL_URL given' };
  if (wanted === 'auto' && project !== 'integration') return { use: false, why: `the ${project} project runs on the machine's services` };
  const unavailable = containersUnavailable();
  if (unavailable && wanted === 'containers') throw new Error(`AUDX_TEST_DEPS=containers, but ${unavailable}`);
  return unavailable ? { use: false, why: unavailable } : { use: true, why: '' };
}

/**
 * Brings up the run's MySQL and Kafka (see chooseContainers). Never skips: an integration run
 * that cannot reach its services fails here, loudly.
 */
export default async function globalSetup(_global: unknown, project: Project = {}): Promise<void> {
  const name = typeof project.displayName === 'string' ? project.displayName : (project.displayName?.name ?? 'tests');
  const choice = await chooseContainers(name);
  if (choice.use) {
    const varRoot = path.join(repoRoot, '.var', 'containers');
    removeLeftoverContainers(varRoot);
    const deps: ContainerDeps = await startContainerDeps(path.join(varRoot, String(process.pid)));
    (globalThis as Record<symbol, unknown>)[RUN_CONTAINERS] = deps;
    Object.assign(process.env, { KAFKA_BROKERS: deps.kafkaBrokers, MYSQL_URL: deps.mysqlUrl, AUDX_VAR_DIR: deps.varDir });
    console.log(`\n[deps] ${name}: ${deps.summary}`);
  } else {
    process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
    process.env.MYSQL_URL ??= 'mysql://root@127.0.0.1:3306';
    runStackScript('mysql');
    runStackScript('kafka', ['start']);
    console.log(`\n[deps] ${name}: the machine's services, MySQL ${process.env.MYSQL_URL.replace(/:[^:@/]*@/, ':***@')} and Kafka ${process.env.KAFKA_BROKERS} (${choice.why})`);
  }
  // the broker is secured (SASL/SCRAM, ACLs): test code speaks as its operator
  exportKafkaCredentials();
  process.env.AUDX_TEST_NAMESPACE = `t${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
}
