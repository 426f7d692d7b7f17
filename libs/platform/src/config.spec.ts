import { BaseEnvSchema, ConfigError, loadConfig } from './config';

describe('Kafka security settings', () => {
  const load = (env: NodeJS.ProcessEnv) => loadConfig(BaseEnvSchema, env);

  it('takes a SASL mechanism with its principal, and TLS', () => {
    const c = load({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'audx-ims', KAFKA_SASL_PASSWORD: 's3cret', KAFKA_SSL: 'true' });
    expect(c).toMatchObject({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'audx-ims', KAFKA_SASL_PASSWORD: 's3cret', KAFKA_SSL: true });
    expect(load({})).toMatchObject({ KAFKA_SASL_MECHANISM: '', KAFKA_SSL: false });
  });

  it('refuses a mechanism without its credentials, credentials without a mechanism, and unknown mechanisms', () => {
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        load(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toEqual([
      'KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=scram-sha-512',
      'KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM=scram-sha-512',
    ]);
    expect(problems({ KAFKA_SASL_USERNAME: 'x', KAFKA_SASL_PASSWORD: 'y' })).toEqual([expect.stringContaining('KAFKA_SASL_MECHANISM: set it')]);
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'x', KAFKA_SASL_PASSWORD: 'y' })[0]).toMatch(/^KAFKA_SASL_MECHANISM: /);
    expect(problems({ KAFKA_SSL: 'yes' })[0]).toMatch(/^KAFKA_SSL: /);
  });
});

describe('IMS_URL in production', () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(BaseEnvSchema, env);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('refuses plain http outside loopback: the keys that verify every token come from it', () => {
    expect(problems({ NODE_ENV: 'production', IMS_URL: 'http://ims:4100' })).toEqual([expect.stringMatching(/^IMS_URL: must be https in production/)]);
    expect(problems({ IMS_URL: 'http://10.0.0.7:4100' })).toHaveLength(1); // unset NODE_ENV is production
  });

  it('takes https anywhere, http on loopback, and anything outside production', () => {
    for (const IMS_URL of ['https://ims.example.com', 'http://127.0.0.1:4100', 'http://localhost:4100', 'http://[::1]:4100']) {
      expect(problems({ NODE_ENV: 'production', IMS_URL })).toEqual([]);
    }
    expect(problems({ NODE_ENV: 'development', IMS_URL: 'http://ims:4100' })).toEqual([]);
  });
});
