import fs from 'node:fs';
import path from 'node:path';
import { loadIdentityConfig } from './config';

describe('identity-reconciliation config', () => {
  it('refuses under production the development key and the one docker-compose.yml publishes, and takes a real one', () => {
    const compose = fs.readFileSync(path.join(__dirname, '../../../docker-compose.yml'), 'utf8');
    const published = /DATA_SOURCE_KEY_ENCRYPTION_KEY: \$\{DATA_SOURCE_KEY_ENCRYPTION_KEY:-([^}]+)\}/.exec(compose)?.[1];
    expect(published).toBeDefined();
    const refusal = 'DATA_SOURCE_KEY_ENCRYPTION_KEY: the development default must not be used in production';
    expect(() => loadIdentityConfig({ NODE_ENV: 'production' })).toThrow(refusal);
    expect(() => loadIdentityConfig({ NODE_ENV: 'production', DATA_SOURCE_KEY_ENCRYPTION_KEY: published! })).toThrow(refusal);
    expect(() => loadIdentityConfig({ DATA_SOURCE_KEY_ENCRYPTION_KEY: published! })).toThrow(refusal);
    expect(loadIdentityConfig({ NODE_ENV: 'production', DATA_SOURCE_KEY_ENCRYPTION_KEY: 'cd'.repeat(32) }).NODE_ENV).toBe('production');
    expect(() => loadIdentityConfig({ NODE_ENV: 'development', DATA_SOURCE_KEY_ENCRYPTION_KEY: published! })).not.toThrow();
  });
});
