import { freePort } from './free-port';
import { ServiceName, ServiceProcess } from './service-process';
import { ImsClient } from './ims-client';
import { localKafkaUsers } from './kafka-credentials';
import { provisionKafka } from './kafka-provisioning';
import { testEnv } from './test-env';

/**
 * IMS plus the services a suite needs, each a real process wired to this run's namespace.
 * Usage: `const stack = await TestStack.start(['identity-reconciliation'])` in beforeAll,
 * `await stack.stop()` in afterAll.
 */
export class TestStack {
  private constructor(
    readonly services: Map<ServiceName, ServiceProcess>,
    readonly ims: ImsClient,
  ) {}

  /**
   * `kafkaUsers` (principal -> password): a secured broker; each service then connects as its own
   * principal `audx-<service>` with SCRAM-SHA-256, as `npm start` runs them.
   */
  static async start(names: Exclude<ServiceName, 'ims'>[], extraEnv: NodeJS.ProcessEnv = {}, options: { kafkaUsers?: Record<string, string> } = {}): Promise<TestStack> {
    const env = testEnv();
    // the run's own secured broker: its credentials (a suite that brings a broker of its own brings them too)
    const users = options.kafkaUsers ?? (extraEnv.KAFKA_BROKERS || !process.env.KAFKA_SASL_MECHANISM ? null : localKafkaUsers());
    if (users) provisionKafka(extraEnv.KAFKA_BROKERS ?? env.kafkaBrokers, extraEnv.KAFKA_NAMESPACE ?? env.namespace, users.admin);
    const sasl = (n: ServiceName): NodeJS.ProcessEnv => {
      // no credentials for its broker: a plaintext one, so not the run's operator credentials either
      if (!users) return { KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' };
      const username = `audx-${n}`;
      if (!users[username]) throw new Error(`no Kafka credentials for ${username}`);
      return { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: users[username] };
    };
    const ims = await (await ServiceProcess.create('ims', { ...extraEnv, ...sasl('ims') })).start();
    const services = new Map<ServiceName, ServiceProcess>([['ims', ims]]);
    // ports first, so that each service knows where the others listen
    const ports = await Promise.all(names.map(() => freePort()));
    const urls = new Map(names.map((n, i) => [n, `http://127.0.0.1:${ports[i]}`]));
    const peers = { IMS_URL: ims.url, ...(urls.has('identity-reconciliation') ? { IDENTITY_URL: urls.get('identity-reconciliation') } : {}) };
    const others = await Promise.all(names.map(async (n, i) => (await ServiceProcess.create(n, { ...peers, PORT: String(ports[i]), ...extraEnv, ...sasl(n) })).start()));
    others.forEach((s, i) => services.set(names[i], s));
    return new TestStack(services, new ImsClient(ims.url));
  }

  service(name: ServiceName): ServiceProcess {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not part of this stack`);
    return s;
  }

  url(name: ServiceName): string {
    return this.service(name).url;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.stop()));
  }
}
