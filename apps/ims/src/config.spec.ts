import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@audx/platform';
import { DEV_ADMIN_CLIENT_SECRET, DEV_KEY_ENCRYPTION_KEY, issuerOf, loadImsConfig } from './config';

describe('IMS config', () => {
  it('boots with development defaults outside production', () => {
    const config = loadImsConfig({ NODE_ENV: 'development' });
    expect(config.PORT).toBe(4100);
    expect(config.IMS_TOKEN_TTL_SECONDS).toBe(86400);
    expect(config.IMS_ADMIN_CLIENT_SECRET).toBe(DEV_ADMIN_CLIENT_SECRET);
    expect(issuerOf(config)).toBe('http://127.0.0.1:4100');
  });

  it.each([
    ['in production', { NODE_ENV: 'production' }],
    ['when NODE_ENV is unset (production unless development is asked for)', {}],
  ])('refuses the development admin secret and key encryption key %s', (_, env: Record<string, string>) => {
    let error: unknown;
    try {
      loadImsConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('IMS_ADMIN_CLIENT_SECRET: the development default must not be used in production');
    expect(problems).toContain('IMS_KEY_ENCRYPTION_KEY: the development default must not be used in production');
    // the same dev key written in hex is the same key
    expect(() =>
      loadImsConfig({ NODE_ENV: 'production', IMS_ADMIN_CLIENT_SECRET: 'a-real-secret-of-enough-length', IMS_KEY_ENCRYPTION_KEY: Buffer.from(DEV_KEY_ENCRYPTION_KEY, 'base64').toString('hex') }),
    ).toThrow(ConfigError);
  });

  it('refuses under production the secrets docker-compose.yml publishes for its local stack', () => {
    const compose = fs.readFileSync(path.join(__dirname, '../../../docker-compose.yml'), 'utf8');
    const published = (name: string) => new RegExp(`${name}: \\$\\{${name}:-([^}]+)\\}`).exec(compose)?.[1];
    const secret = published('IMS_ADMIN_CLIENT_SECRET');
    const key = published('IMS_KEY_ENCRYPTION_KEY');
    expect(secret).toBeDefined();
    expect(key).toBeDefined();
    const real = { NODE_ENV: 'production', IMS_ADMIN_CLIENT_SECRET: 'a-real-secret-of-enough-length', IMS_KEY_ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect(() => loadImsConfig(real)).not.toThrow();
    expect(() => loadImsConfig({ ...real, IMS_ADMIN_CLIENT_SECRET: secret! })).toThrow('IMS_ADMIN_CLIENT_SECRET: the development default must not be used in production');
    expect(() => loadImsConfig({ ...real, IMS_KEY_ENCRYPTION_KEY: key! })).toThrow('IMS_KEY_ENCRYPTION_KEY: the development default must not be used in production');
    expect(() => loadImsConfig({ ...real, NODE_ENV: 'development', IMS_ADMIN_CLIENT_SECRET: secret!, IMS_KEY_ENCRYPTION_KEY: key! })).not.toThrow();
  });

  it('accepts real secrets in production and rejects malformed values', () => {
    const key = 'ab'.repeat(32);
    const config = loadImsConfig({ NODE_ENV: 'production', IMS_ADMIN_CLIENT_SECRET: 'a-real-secret-of-enough-length', IMS_KEY_ENCRYPTION_KEY: key, IMS_ISSUER: 'https://ims.example.com/' });
    expect(issuerOf(config)).toBe('https://ims.example.com');
    expect(() => loadImsConfig({ IMS_KEY_ENCRYPTION_KEY: 'too-short' })).toThrow('IMS_KEY_ENCRYPTION_KEY: must be 32 bytes');
    expect(() => loadImsConfig({ IMS_ADMIN_CLIENT_SECRET: 'short' })).toThrow('IMS_ADMIN_CLIENT_SECRET');
    expect(() => loadImsConfig({ IMS_TOKEN_TTL_SECONDS: '5' })).toThrow('IMS_TOKEN_TTL_SECONDS');
  });

  it('reads the trusted proxies as a list of addresses and ranges, none by default', () => {
    const dev = { NODE_ENV: 'development' };
    expect(loadImsConfig(dev).IMS_TRUSTED_PROXIES).toEqual([]);
    expect(loadImsConfig({ ...dev, IMS_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1,fd00::/8' }).IMS_TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '192.168.1.1', 'fd00::/8']);
    expect(() => loadImsConfig({ IMS_TRUSTED_PROXIES: '10.0.0.0/8,ingress.local' })).toThrow('IMS_TRUSTED_PROXIES: must be IP addresses or CIDR ranges');
    expect(() => loadImsConfig({ IMS_TRUSTED_PROXIES: '10.0.0.0/40' })).toThrow('IMS_TRUSTED_PROXIES');
  });

});
