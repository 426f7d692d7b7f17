import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './stack';

const provisioned = new Set<string>();

/**
 * What the operator does before services start on a secured broker (tools/stack/provision-kafka.ts,
 * as `npm start` runs it): the topics of the namespace, and every principal's ACLs on them. Once
 * per (broker, namespace) in a process. A child process, so that this library does not depend on
 * the messaging library whose own tests use it.
 */
export function provisionKafka(brokers: string, namespace: string, adminPassword: string): void {
  const key = `${brokers}/${namespace}`;
  if (provisioned.has(key)) return;
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(repoRoot, 'tools/stack/provision-kafka.ts')], {
    cwd: repoRoot,
    env: { ...process.env, KAFKA_BROKERS: brokers, KAFKA_NAMESPACE: namespace, KAFKA_ADMIN_PASSWORD: adminPassword, AUDX_PROVISION_QUIET: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`provisioning Kafka for ${key} failed:\n${r.stdout}\n${r.stderr}`);
  provisioned.add(key);
}
