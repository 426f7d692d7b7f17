import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { Topics } from '@audx/contracts';
import { OutboxWriter } from '@audx/messaging';
import type { ServiceRuntime } from '@audx/platform';
import type { IdentityConfig } from '../config';
import { ChangeLog } from './change-log';
import type { Change, ChangeLogRepository } from './change-log.repository';

/** A repository that remembers what it was asked, in order; the manager records outbox inserts. */
function fixture() {
  const calls: string[] = [];
  const clocks = new Map<string, number>();
  const repo = {
    tick: async (_m: EntityManager, orgId: string) => {
      const clock = (clocks.get(orgId) ?? 0) + 1;
      clocks.set(orgId, clock);
      calls.push(`tick ${orgId} -> ${clock}`);
      return clock;
    },
    append: async (_m: EntityManager, orgId: string, clock: number, changes: Change[]) => {
      calls.push(`append ${orgId}@${clock} ${changes.map((c) => JSON.stringify(c)).join(' ')}`);
    },
  } as unknown as ChangeLogRepository;
  const manager = { query: async (sql: string) => calls.push(sql.startsWith('INSERT INTO outbox') ? 'outbox insert' : sql) } as unknown as EntityManager;
  const log = new ChangeLog({} as ServiceRuntime, repo, { SHARE_CHANGE_RETENTION_SECONDS: 60 } as IdentityConfig, { info: () => undefined } as unknown as Logger);
  return { calls, manager, log };
}

describe(ChangeLog.name, () => {
  it('stamps a transaction\'s changes once per org, orgs in a fixed order, after the work and before its events', async () => {
    const { calls, manager, log } = fixture();
    const outbox = new OutboxWriter(manager, 'test');
    log.record(outbox, manager, 'org-b', [{ kind: 'recipient', rid: '7' }]);
    log.record(outbox, manager, 'org-a', [{ kind: 'org' }]);
    log.record(outbox, manager, 'org-b', [{ kind: 'recipient', rid: '7' }, { kind: 'import', listPk: '3', sequence: 12 }]);
    outbox.add(Topics.listUpdated, 'org-a', { listId: 'lst_1', size: 1, added: 1, removed: 0, cause: 'import' });
    expect(calls).toEqual([]);
    await outbox.flush();
    expect(calls).toEqual([
      'tick org-a -> 1',
      'append org-a@1 {"kind":"org"}',
      'tick org-b -> 1',
      'append org-b@1 {"kind":"recipient","rid":"7"} {"kind":"import","listPk":"3","sequence":12}',
      'outbox insert',
    ]);
  });

  it('records nothing for a transaction without changes, and nothing twice', async () => {
    const { calls, manager, log } = fixture();
    const outbox = new OutboxWriter(manager, 'test');
    log.record(outbox, manager, 'org-a', []);
    await outbox.flush();
    expect(calls).toEqual([]);
    log.record(outbox, manager, 'org-a', [{ kind: 'list', listPk: '1' }]);
    await outbox.flush();
    await outbox.flush();
    expect(calls).toEqual(['tick org-a -> 1', 'append org-a@1 {"kind":"list","listPk":"1"}']);
  });
});
