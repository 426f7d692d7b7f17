import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mysql2/promise';
import { ServiceProcess, Tenant, TestStack, connectDatabase, testDatabase, waitFor } from '@audx/testing';
import { spawnPublication } from './support/crashing-service';
import { ListExportBuilder, visitorIds } from './support/list-export.builder';
import { PublicationApi, PublicationDriver, listDir, readLines } from './support/publication-client';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function count(db: Connection, sql: string, params: unknown[]): Promise<number> {
  const [rows] = await db.query(sql, params);
  return Number((rows as { n: string }[])[0].n);
}

describe('audience-publication killed between writing a version and publishing its event', () => {
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'audx-outbox-crash-'));
  let stack: TestStack;
  let driver: PublicationDriver;
  let db: Connection;
  let tenant: Tenant;
  let env: NodeJS.ProcessEnv;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    [stack, db] = await Promise.all([TestStack.start([]), connectDatabase(testDatabase('audx_publication'))]);
    env = {
      IMS_URL: stack.url('ims'),
      OUTBOX_DIR: outbox,
      OUTBOUND_GZIP: 'true',
      OUTBOUND_MAX_LINES: '25',
      PUBLICATION_POLL_MS: '200',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    driver = new PublicationDriver('crash-spec');
    await driver.start();
    tenant = await stack.ims.tenant('crashy');
    // crash only on this suite's exports: earlier suites' leftovers share the schema
    env.PUBLICATION_CRASH_ORG = tenant.orgId;
  });

  afterAll(async () => {
    for (const p of running) await p.stop();
    await driver?.stop();
    await db?.end();
    await stack?.stop();
    rmSync(outbox, { recursive: true, force: true });
  });

  const orgDir = () => path.join(outbox, tenant.orgId);
  const snapshot = () => listDir(orgDir()).map((n) => `${n} ${md5(readFileSync(path.join(orgDir(), n)))}`);

  it('converges to exactly one version, one event and the same files', async () => {
    // 1. killed right after the files are written, before the version's transaction commits
    const first = await (await ServiceProcess.create('audience-publication', { ...env, PUBLICATION_CRASH_AFTER: 'files' })).start();
    await driver.share(tenant.orgId, ListExportBuilder.share('exp-c1').identifiers(visitorIds(0, 60)).chunksOf(20).build());
    await waitFor(() => !isAlive(first.pid), { timeoutMs: 60000, what: 'the first process to kill itself after the files' });
    expect(first.output.join('')).toContain('PUBLICATION_CRASH_AFTER=files');

    const [[exp]] = (await db.query('SELECT export_pk, status, audience_id FROM exports WHERE org_id = ? AND export_id = ?', [tenant.orgId, 'exp-c1'])) as unknown as [
      { export_pk: string; status: string; audience_id: string }[],
    ];
    const audienceId = exp.audience_id;
    expect(exp.status).toBe('publishing');
    expect(await count(db, 'SELECT COUNT(*) AS n FROM audience_versions WHERE org_id = ? AND export_id = ?', [tenant.orgId, 'exp-c1'])).toBe(0);
    const afterFirstCrash = snapshot();
    // the files were renamed into place; the transaction that would have recorded them did not commit
    expect(afterFirstCrash.filter((f) => f.includes('.sync.'))).toHaveLength(3);

    await driver.waitForEmptyGroup();

    // 2. restarted, it redoes the version (same names, same bytes) and is killed right after the commit
    // (it publishes as soon as it boots, so it may die before it ever answers /ready)
    const second = await spawnPublication({ ...env, PUBLICATION_CRASH_AFTER: 'version' });
    expect(await second.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(second.output()).toContain('PUBLICATION_CRASH_AFTER=version');
    expect(await count(db, 'SELECT COUNT(*) AS n FROM audience_versions WHERE org_id = ? AND export_id = ?', [tenant.orgId, 'exp-c1'])).toBe(1);
    expect(await count(db, "SELECT COUNT(*) AS n FROM outbox WHERE topic = 'audience.published' AND msg_key = ?", [audienceId])).toBe(1);
    expect(driver.eventsFor(audienceId)).toEqual([]);
    expect(snapshot()).toEqual(afterFirstCrash);

    await driver.waitForEmptyGroup(); // in case it had joined the group before it died

    // 3. restarted without a crash point: the outbox relay publishes the one event
    const third = await (await ServiceProcess.create('audience-publication', env)).start();
    running.push(third);
    await driver.waitForEvents(audienceId, 1, 60000);
    await new Promise((r) => setTimeout(r, 1500));
    const events = driver.eventsFor(audienceId);
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({ version: 1, size: 60, added: 60, removed: 0 });
    expect(await count(db, "SELECT COUNT(*) AS n FROM outbox WHERE topic = 'audience.published'", [])).toBe(0);

    const api = new PublicationApi(third.url, tenant.headers);
    expect(await api.json('/v1/exports/exp-c1')).toMatchObject({ status: 'published', version: 1, added: 60, removed: 0 });
    const versions = await api.versions(audienceId);
    expect(versions.map((v) => v.version)).toEqual([1]);
    expect(events[0].payload.files).toEqual(versions[0].files);
    // what is on disk is exactly what the version records, byte for byte
    expect(listDir(orgDir())).toEqual([...versions[0].files.map((f) => f.fileName), versions[0].infoFile].sort());
    expect(snapshot()).toEqual(afterFirstCrash);
    for (const f of versions[0].files) expect(md5(readFileSync(path.join(orgDir(), f.fileName)))).toBe(f.md5);
    expect(readLines(orgDir(), versions[0].files)).toEqual(visitorIds(0, 60).map((id) => `${id}\td_sid=24`));
  });

  it('computes the next version against the recovered one', async () => {
    const third = running[0];
    const api = new PublicationApi(third.url, tenant.headers);
    await driver.share(tenant.orgId, ListExportBuilder.share('exp-c2').identifiers(visitorIds(5, 65)).build());
    const v2 = await api.settled('exp-c2', 60000);
    expect(v2).toMatchObject({ status: 'published', version: 2, size: 60, added: 5, removed: 5 });
    const [latest] = await api.versions(v2.audienceId);
    expect(readLines(orgDir(), latest.files)).toEqual([...visitorIds(60, 65).map((id) => `${id}\td_sid=24`), ...visitorIds(0, 5).map((id) => `${id}\td_unsid=24`)]);
    await driver.waitForEvents(v2.audienceId, 2);
    expect(driver.eventsFor(v2.audienceId).map((e) => e.payload.version)).toEqual([1, 2]);
  });

  it('prunes after a restart the versions a publication killed after its commit never pruned', async () => {
    await running.shift()!.stop();
    await driver.waitForEmptyGroup();
    // keeping 2, version 3 makes version 1 prunable; the process dies between the commit and the prune
    const crashing = await spawnPublication({ ...env, AUDIENCE_KEEP_VERSIONS: '2', PUBLICATION_CRASH_AFTER: 'version' });
    await driver.share(tenant.orgId, ListExportBuilder.share('exp-c3').identifiers(visitorIds(10, 70)).build());
    expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const versionsOf = async () =>
      (await db.query('SELECT v.version FROM audience_versions v JOIN audiences a ON a.audience_pk = v.audience_pk WHERE a.org_id = ? ORDER BY v.version', [tenant.orgId]))[0] as { version: number }[];
    expect((await versionsOf()).map((v) => Number(v.version))).toEqual([1, 2, 3]);
    await driver.waitForEmptyGroup();

    const restarted = await (await ServiceProcess.create('audience-publication', { ...env, AUDIENCE_KEEP_VERSIONS: '2' })).start();
    running.push(restarted);
    await waitFor(async () => (await versionsOf()).length === 2, { timeoutMs: 30000, what: 'version 1 pruned by the sweep' });
    expect((await versionsOf()).map((v) => Number(v.version))).toEqual([2, 3]);
  });
});
