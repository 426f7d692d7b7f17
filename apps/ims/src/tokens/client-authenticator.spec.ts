import type { DataSource } from 'typeorm';
import { Metrics } from '@audx/platform';
import { DEV_ADMIN_CLIENT_SECRET, loadImsConfig } from '../config';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { SecretHasher } from '../integrations/secret-hasher';
import { ClientAuthenticator } from './client-authenticator';
import { MemoryFailureStore } from './failure-store.fake';
import { OAuthError } from './oauth-error';

describe(ClientAuthenticator.name, () => {
  let sut: ClientAuthenticator;
  let store: MemoryFailureStore;

  beforeEach(() => {
    const integrations = new IntegrationsRepository({} as DataSource);
    jest.spyOn(integrations, 'findActive').mockResolvedValue(null);
    const config = loadImsConfig({ NODE_ENV: 'test', IMS_AUTH_FAILURES_PER_CLIENT: '2', IMS_AUTH_FAILURES_PER_ADDRESS: '1000' });
    store = new MemoryFailureStore();
    sut = new ClientAuthenticator(integrations, new SecretHasher(), config, new Metrics('ims'), store);
  });

  afterEach(() => jest.restoreAllMocks());

  const status = (p: Promise<unknown>) => p.then(() => 200, (err: unknown) => (err instanceof OAuthError ? err.status : 500));

  it('keeps a fixed-size key per failing client_id, however long the id', async () => {
    const huge = 'x'.repeat(16 * 1024);
    expect(await status(sut.authenticate(huge, 'secret', '10.0.0.1'))).toBe(401);
    expect(store.recorded).toHaveLength(3); // the client, the address and the pair
    for (const { key } of store.recorded) expect(key.length).toBeLessThanOrEqual(64);
  });

  it('still brakes a long client_id once it failed too often', async () => {
    const huge = 'y'.repeat(16 * 1024);
    expect(await status(sut.authenticate(huge, 'secret', '10.0.0.1'))).toBe(401);
    expect(await status(sut.authenticate(huge, 'secret', '10.0.0.2'))).toBe(401);
    expect(await status(sut.authenticate(huge, 'secret', '10.0.0.3'))).toBe(429);
    expect(await status(sut.authenticate(`${huge}z`, 'secret', '10.0.0.3'))).toBe(401);
  });

  it('lets the right secret through from an address that has not failed, however often others guessed the id', async () => {
    for (const address of ['10.0.0.1', '10.0.0.1', '10.0.0.2']) expect(await status(sut.authenticate('audx-ims-admin', 'guess', address))).not.toBe(200);
    expect(await status(sut.authenticate('audx-ims-admin', DEV_ADMIN_CLIENT_SECRET, '10.0.0.1'))).toBe(429);
    expect(await status(sut.authenticate('audx-ims-admin', DEV_ADMIN_CLIENT_SECRET, '10.0.0.2'))).toBe(429);
    expect(await status(sut.authenticate('audx-ims-admin', DEV_ADMIN_CLIENT_SECRET, '10.0.0.3'))).toBe(200);
  });
});
