import { isTransientError } from './transient-error';

const withCode = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(code), { code, ...extra });

describe('isTransientError', () => {
  it.each(['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ER_LOCK_DEADLOCK', 'ER_SERVER_SHUTDOWN'])('treats %s as the infrastructure', (code) => {
    expect(isTransientError(withCode(code))).toBe(true);
  });

  it('looks through TypeORM query failures and causes to the driver error', () => {
    expect(isTransientError(Object.assign(new Error('query failed'), { driverError: withCode('ECONNRESET') }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('wrapped'), { cause: Object.assign(new Error('x'), { fatal: true }) }))).toBe(true);
  });

  it('leaves errors of the message itself to the dead-letter path', () => {
    expect(isTransientError(new Error('handler rejects this recipient'))).toBe(false);
    expect(isTransientError(withCode('ER_DUP_ENTRY', { errno: 1062 }))).toBe(false);
    expect(isTransientError(withCode('ER_DATA_TOO_LONG', { errno: 1406 }))).toBe(false);
    expect(isTransientError(null)).toBe(false);
  });
});
