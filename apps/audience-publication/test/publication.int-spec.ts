import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mysql2/promise';
import { Tenant, TestStack, connectDatabase, testDatabase, waitFor } from '@audx/testing';
import { ListExportBuilder, visitorIds } from './support/list-export.builder';
import { ExportView, PublicationApi, PublicationDriver, listDir, readLines } from './support/publication-client';

const MAX_LINES = 40;
const KEEP = 3;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('audience-publication (real process, Kafka and MySQL)', () => {
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'audx-outbox-'));
  let stack: TestStack;
  let driver: PublicationDriver;
  let db: Connection;
  let acme: Tenant;
  let api: PublicationApi;

  beforeAll(async () => {
    [stack, db] = await Promise.all([
      TestStack.start(['audience-publication'], {
        OUTBOX_DIR: outbox,
        OUTBOUND_MAX_LINES: String(MAX_LINES),
        AUDIENCE_KEEP_VERSIONS: String(KEEP),
        PUBLICATION_POLL_MS: '200',
        EXPORT_ASSEMBLY_TIMEOUT_SECONDS: '8',
        // exports of over 100 identifiers publish in the big lane; audiences named "held ..." hold their publication 10 s
        PUBLICATION_SMALL_MAX_IDENTIFIERS: '100',
        PUBLICATION_TEST_DELAY_MS: '10000',
        PUBLICATION_TEST_DELAY_PREFIX: 'held ',
        // audiences named "staged slowly ..." hold each chunk 1.5 s while it is staged
        PUBLICATION_STAGE_TEST_DELAY_MS: '1500',
        PUBLICATION_STAGE_TEST_DELAY_PREFIX: 'staged slowly',
      }),
      connectDatabase(testDatabase('audx_publication')),
    ]);
    driver = new PublicationDriver('publication-spec');
    await driver.start();
    acme = await stack.ims.tenant('acme');
    api = new PublicationApi(stack.url('audience-publication'), acme.headers);
  });

  afterAll(async () => {
    await driver?.stop();
    await db?.end();
    await stack?.stop();
    rmSync(outbox, { recursive: true, force: true });
  });

  const orgDir = (t: Tenant) => path.join(outbox, t.orgId);

  describe('versions of a changing list', () => {
    let audienceId: string;
    let v1: ExportView;

    it('publishes the first share as version 1: every member added, split at the line limit', async () => {
      const chunks = ListExportBuilder.share('exp-a1').list('lst-a').identifiers(visitorIds(0, 60)).chunksOf(25).leftOut(8, 2).build();
      await driver.share(acme.orgId, chunks);
      v1 = await api.settled('exp-a1');
      audienceId = v1.audienceId;
      expect(v1).toMatchObject({ status: 'published', version: 1, members: 70, withIdentifier: 60, complement: 8, blocked: 2, size: 60, added: 60, removed: 0, policyViolations: [] });

      const [version] = await api.versions(audienceId);
      expect(version).toMatchObject({ version: 1, mode: 'incremental', size: 60, added: 60, removed: 0 });
      expect(version.files.map((f) => [f.fileName.replace(/_[0-9]{10}\./, '_<t>.'), f.lines])).toEqual([
        ['ftp_dpm_5001_<t>.sync.1', 40],
        ['ftp_dpm_5001_<t>.sync.2', 20],
      ]);
      expect(readLines(orgDir(acme), version.files)).toEqual(visitorIds(0, 60).map((id) => `${id}\td_sid=24`));
    });

    it('publishes the second share as exactly its delta: d_sid for the added, d_unsid for the removed', async () => {
      // ids 0..9 leave, 60..69 join
      await driver.share(acme.orgId, ListExportBuilder.share('exp-a2').list('lst-a').identifiers(visitorIds(10, 70)).chunksOf(25).build());
      const v2 = await api.settled('exp-a2');
      expect(v2).toMatchObject({ status: 'published', audienceId, version: 2, size: 60, added: 10, removed: 10 });

      const [latest] = await api.versions(audienceId);
      expect(latest).toMatchObject({ version: 2, added: 10, removed: 10 });
      expect(latest.files).toHaveLength(1);
      expect(latest.files[0].fileName).toMatch(/^ftp_dpm_5001_[0-9]{10}\.sync$/);
      const lines = readLines(orgDir(acme), latest.files);
      expect(lines).toEqual([...visitorIds(60, 70).map((id) => `${id}\td_sid=24`), ...visitorIds(0, 10).map((id) => `${id}\td_unsid=24`)]);

      expect(await api.allMembers(audienceId, 2)).toEqual(visitorIds(10, 70));
      expect(await api.allMembers(audienceId, 1)).toEqual(visitorIds(0, 60));
      const audience = await api.json<{ version: number; size: number; name: string }>(`/v1/audiences/${audienceId}`);
      expect(audience).toMatchObject({ audienceId, version: 2, size: 60, name: 'segment 24', dataSource: 'defaultDataSource', segmentId: '24' });

      const events = await driver.waitForEvents(audienceId, 2);
      expect(events.map((e) => [e.payload.version, e.payload.size, e.payload.added, e.payload.removed])).toEqual([
        [1, 60, 60, 0],
        [2, 60, 10, 10],
      ]);
      expect(events[1].payload.files).toEqual(latest.files);
      expect(events[1].correlationId).toBe('exp-a2');
    });

    it('replaces the audience with a full share: .overwrite with every member, and a .sync that removes those who left', async () => {
      await driver.share(acme.orgId, ListExportBuilder.share('exp-a3').list('lst-a').full().identifiers(visitorIds(50, 90)).chunksOf(15).build());
      const v3 = await api.settled('exp-a3');
      expect(v3).toMatchObject({ status: 'published', version: 3, size: 40, added: 20, removed: 40 });
      const [latest] = await api.versions(audienceId);
      expect(latest.mode).toBe('full');
      expect(latest.files.map((f) => f.fileName)).toEqual([expect.stringMatching(/^ftp_dpm_5001_[0-9]{10}\.overwrite$/), expect.stringMatching(/^ftp_dpm_5001_[0-9]{10}\.sync$/)]);
      const [overwrite, removals] = latest.files;
      expect(readLines(orgDir(acme), [overwrite])).toEqual(visitorIds(50, 90).map((id) => `${id}\td_sid=24`));
      // an .overwrite cannot remove a user it does not list: the 40 who left are removed explicitly
      expect(readLines(orgDir(acme), [removals])).toEqual(visitorIds(10, 50).map((id) => `${id}\td_unsid=24`));
      expect(latest.removalInfoFile).toBe(removals.fileName.replace(/\.sync$/, '.info'));
      // the removals come under a later stamp than the overwrite
      expect(removals.fileName > overwrite.fileName).toBe(true);
      expect(await api.allMembers(audienceId, 3, 1000)).toEqual(visitorIds(50, 90));
    });

    it(`keeps the last ${KEEP} versions: older versions, their member rows and their files are pruned`, async () => {
      const v1Files = (await api.versions(audienceId)).find((v) => v.version === 1)!.files;
      await driver.share(acme.orgId, ListExportBuilder.share('exp-a4').list('lst-a').identifiers(visitorIds(55, 90)).build());
      expect(await api.settled('exp-a4')).toMatchObject({ version: 4, added: 0, removed: 5 });
      await waitFor(async () => (await api.versions(audienceId)).length === KEEP, { what: 'pruned to the kept versions' });
      expect((await api.versions(audienceId)).map((v) => v.version)).toEqual([4, 3, 2]);
      expect((await api.get(`/v1/audiences/${audienceId}/members?version=1`)).status).toBe(404);
      for (const f of v1Files) expect(listDir(orgDir(acme))).not.toContain(f.fileName);
      // version 2 still answers exactly, from the intervals that remain
      expect(await api.allMembers(audienceId, 2, 1000)).toEqual(visitorIds(10, 70));
    });

    it('writes a file set that matches its .info byte for byte and md5, and serves the same bytes', async () => {
      const versions = await api.versions(audienceId);
      const controlFiles = (v: (typeof versions)[number]) => [v.infoFile!, ...(v.removalInfoFile ? [v.removalInfoFile] : [])];
      const recorded = versions.flatMap((v) => [...v.files.map((f) => f.fileName), ...controlFiles(v)]).sort();
      // nothing else in the org's folder: no temporary or orphaned file
      expect(listDir(orgDir(acme))).toEqual(recorded);
      for (const v of versions) {
        for (const infoFile of controlFiles(v)) {
          // each control file lists the data files of its own batch (same root name)
          const batch = v.files.filter((f) => f.fileName.startsWith(infoFile.replace(/\.info$/, '.')));
          expect(batch.length).toBeGreaterThan(0);
          const info = JSON.parse(readFileSync(path.join(orgDir(acme), infoFile), 'utf8'));
          expect(info.Files).toEqual(
            batch.map((f, i) => ({ FileName: f.fileName, FileByteSize: f.bytes, FileLineCount: f.lines, FileSequenceNumber: i + 1, md5: f.md5 })),
          );
          expect(info.Totals).toMatchObject({ TotalFileCount: batch.length, TotalLineCount: batch.reduce((n, f) => n + f.lines, 0) });
        }
        for (const f of v.files) {
          const onDisk = readFileSync(path.join(orgDir(acme), f.fileName));
          expect([onDisk.length, md5(onDisk), onDisk.toString().split('\n').length - 1]).toEqual([f.bytes, f.md5, f.lines]);
          const served = await api.get(`/v1/audiences/${audienceId}/versions/${v.version}/files/${f.fileName}`);
          expect(served.status).toBe(200);
          expect(Buffer.from(await served.arrayBuffer()).equals(onDisk)).toBe(true);
        }
        const infoServed = await api.get(`/v1/audiences/${audienceId}/versions/${v.version}/files/${v.infoFile}`);
        expect(await infoServed.text()).toBe(readFileSync(path.join(orgDir(acme), v.infoFile!), 'utf8'));
      }
      // a name that is not a recorded file of that version is refused, however it is spelled
      for (const bad of ['..%2F..%2Fetc%2Fpasswd', '..%2F.tmp', versions[0].files[0].fileName, 'ftp_dpm_5001_0000000000.sync']) {
        expect([bad, (await api.get(`/v1/audiences/${audienceId}/versions/2/files/${bad}`)).status]).toEqual([bad, 404]);
      }
    });

    it('never serves a download through a link: a recorded file swapped for a link to another file answers 404', async () => {
      const v = (await api.versions(audienceId))[0];
      const file = path.join(orgDir(acme), v.files[0].fileName);
      const secret = path.join(outbox, `secret-${process.pid}.txt`);
      writeFileSync(secret, 'not for acme');
      const kept = readFileSync(file);
      rmSync(file);
      symlinkSync(secret, file);
      try {
        const res = await api.get(`/v1/audiences/${audienceId}/versions/${v.version}/files/${v.files[0].fileName}`);
        expect(res.status).toBe(404);
        expect(await res.text()).not.toContain('not for acme');
      } finally {
        rmSync(file);
        writeFileSync(file, kept);
        rmSync(secret);
      }
    });

    it('answers 404 to another org for every resource, and refuses callers without a valid token or scope', async () => {
      const other = await stack.ims.tenant('globex');
      const theirs = new PublicationApi(stack.url('audience-publication'), other.headers);
      const v2 = (await api.versions(audienceId)).find((v) => v.version === 2)!;
      for (const p of [
        '/v1/exports/exp-a1',
        `/v1/audiences/${audienceId}`,
        `/v1/audiences/${audienceId}/versions`,
        `/v1/audiences/${audienceId}/members`,
        `/v1/audiences/${audienceId}/members?version=2`,
        `/v1/audiences/${audienceId}/versions/2/files/${v2.files[0].fileName}`,
      ]) {
        const res = await theirs.get(p);
        expect([p, res.status]).toEqual([p, 404]);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
      }
      expect(await theirs.json('/v1/audiences')).toEqual({ items: [], next: null });
      expect((await fetch(`${api.url}/v1/audiences`)).status).toBe(401);
      const writer = await stack.ims.tenant('initech', ['lists.write']);
      expect((await fetch(`${api.url}/v1/audiences`, { headers: writer.headers })).status).toBe(403);
    });
  });

  it('never creates a second version from redelivered and reordered chunks across partitions', async () => {
    const org = acme.orgId;
    const chunks = ListExportBuilder.share('exp-r1').segment('31').identifiers(visitorIds(0, 50)).chunksOf(10).build();
    // last chunk first, the others shuffled, each on another partition; every chunk twice with a
    // new event id (a re-publication) and one redelivered with its own id
    const order = [4, 2, 0, 3, 1];
    const ids: string[] = [];
    for (const [i, seq] of order.entries()) ids.push(await driver.sendChunkTo(i % 3, org, chunks[seq]));
    for (const [i, seq] of [...order].reverse().entries()) await driver.sendChunkTo((i + 1) % 3, org, chunks[seq]);
    await driver.sendChunkTo(1, org, chunks[order[0]], ids[0]);
    const first = await api.settled('exp-r1');
    expect(first).toMatchObject({ status: 'published', version: 1, size: 50, added: 50 });

    // the whole export again after it was published
    for (const [i, c] of chunks.entries()) await driver.sendChunkTo(i % 3, org, c);
    // barrier: an export with one chunk on each partition, sent after everything above
    const barrier = ListExportBuilder.share('exp-r-barrier').segment('32').identifiers(visitorIds(0, 3)).chunksOf(1).build();
    for (const [p, c] of barrier.entries()) await driver.sendChunkTo(p, org, c);
    expect(await api.settled('exp-r-barrier')).toMatchObject({ status: 'published' });

    expect((await api.versions(first.audienceId)).map((v) => v.version)).toEqual([1]);
    expect(await api.allMembers(first.audienceId, 1, 1000)).toEqual(visitorIds(0, 50));
    expect(driver.eventsFor(first.audienceId)).toHaveLength(1);
    const [rows] = await db.query('SELECT COUNT(*) AS n FROM audience_versions WHERE org_id = ? AND export_id = ?', [org, 'exp-r1']);
    expect(Number((rows as { n: string }[])[0].n)).toBe(1);
    const again = await api.json<ExportView>('/v1/exports/exp-r1');
    expect(again).toMatchObject({ status: 'published', version: 1, chunks: { received: 5, expected: 5 } });
  });

  it('publishes shares in the order they were requested: an older share that assembles last is superseded', async () => {
    const org = acme.orgId;
    const older = ListExportBuilder.share('exp-o1').segment('34').sharedAt(new Date(Date.now() - 60_000)).identifiers(visitorIds(0, 20)).chunksOf(10).build();
    const newer = ListExportBuilder.share('exp-o2').segment('34').sharedAt(new Date()).identifiers(visitorIds(5, 30)).chunksOf(10).build();
    // the older share's last chunk is late (another partition, a slow producer): the newer completes first
    await driver.share(org, older.slice(0, 1));
    await driver.share(org, newer);
    const published = await api.settled('exp-o2');
    expect(published).toMatchObject({ status: 'published', version: 1, size: 25 });
    await driver.share(org, older.slice(1));
    const superseded = await api.settled('exp-o1');
    expect(superseded).toMatchObject({ status: 'superseded', version: null });
    expect((superseded as unknown as { error: string }).error).toMatch(/^superseded: a share of this audience requested later/);
    // the audience stays at the newer snapshot: no version turns it back
    expect((await api.versions(published.audienceId)).map((v) => v.version)).toEqual([1]);
    expect(await api.allMembers(published.audienceId, 1, 1000)).toEqual(visitorIds(5, 30));
    expect(driver.eventsFor(published.audienceId)).toHaveLength(1);

    // both assembled before the publisher looks: the older goes first, then the newer on top of it
    const a = ListExportBuilder.share('exp-o3').segment('35').sharedAt(new Date(Date.now() - 1000)).identifiers(visitorIds(0, 10)).build();
    const b = ListExportBuilder.share('exp-o4').segment('35').sharedAt(new Date()).identifiers(visitorIds(3, 13)).build();
    await driver.share(org, [...b, ...a]);
    const [va, vb] = [await api.settled('exp-o3'), await api.settled('exp-o4')];
    if (va.status === 'published') {
      expect([va.version, vb.version]).toEqual([1, 2]);
      expect(vb).toMatchObject({ added: 3, removed: 3, size: 10 });
    } else {
      expect(va.status).toBe('superseded'); // b was published before a had even arrived
      expect(vb).toMatchObject({ status: 'published', version: 1 });
    }
    expect(await api.allMembers(vb.audienceId, vb.version!, 1000)).toEqual(visitorIds(3, 13));
  });

  it("publishes another org's small share while a big publication is still being made", async () => {
    const other = await stack.ims.tenant('beside a big one');
    const otherApi = new PublicationApi(stack.url('audience-publication'), other.headers);
    await driver.share(acme.orgId, ListExportBuilder.share('exp-held-big').segment(null, 'held big').identifiers(visitorIds(0, 300)).chunksOf(100).build());
    await waitFor(() => stack.service('audience-publication').output.join('').includes('holding a publication transaction open'), { timeoutMs: 20_000, what: 'the big publication in its transaction' });

    const asked = Date.now();
    await driver.share(other.orgId, ListExportBuilder.share('exp-small-beside').segment('36').identifiers(visitorIds(0, 30)).build());
    expect(await otherApi.settled('exp-small-beside', 5000)).toMatchObject({ status: 'published', version: 1, size: 30 });
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(await api.json<ExportView>('/v1/exports/exp-held-big')).toMatchObject({ status: 'publishing' });
    expect(await api.settled('exp-held-big', 60_000)).toMatchObject({ status: 'published', version: 1, size: 300 });
  }, 90_000);

  it("publishes another org's one-chunk share while a many-chunk export is still being staged", async () => {
    const other = await stack.ims.tenant('beside a big staging');
    const otherApi = new PublicationApi(stack.url('audience-publication'), other.headers);
    // 8 chunks, each held 1.5 s while it is staged: 12 s of staging
    await driver.share(acme.orgId, ListExportBuilder.share('exp-held-stage').segment(null, 'staged slowly').identifiers(visitorIds(0, 80)).chunksOf(10).build());
    await waitFor(() => stack.service('audience-publication').output.join('').includes('holding a chunk staging open'), { timeoutMs: 20_000, what: 'the big export being staged' });

    const asked = Date.now();
    await driver.share(other.orgId, ListExportBuilder.share('exp-beside-stage').segment('38').identifiers(visitorIds(0, 5)).build());
    expect(await otherApi.settled('exp-beside-stage', 5000)).toMatchObject({ status: 'published', version: 1, size: 5 });
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(await api.settled('exp-held-stage', 90_000)).toMatchObject({ status: 'published', version: 1, size: 80 });
  }, 120_000);

  it("never turns an audience back across lanes: a small share after a big one of the same audience wins, whichever assembles first", async () => {
    const big = ListExportBuilder.share('exp-lane-1').segment(null, 'held order').sharedAt(new Date(Date.now() - 1000)).identifiers(visitorIds(0, 200)).chunksOf(100).build();
    const small = ListExportBuilder.share('exp-lane-2').segment(null, 'held order').sharedAt(new Date()).identifiers(visitorIds(0, 10)).build();
    await driver.share(acme.orgId, [...small, ...big]);
    const first = await api.settled('exp-lane-1', 60_000);
    const second = await api.settled('exp-lane-2', 60_000);
    if (first.status === 'published') {
      // the big one was assembled in time: published first, the small one on top of it
      expect([first.version, second.status, second.version]).toEqual([1, 'published', 2]);
      expect(second).toMatchObject({ size: 10, removed: 190 });
    } else {
      // the small one was published before the big one was assembled: the older share never turns it back
      expect([first.status, second.status, second.version]).toEqual(['superseded', 'published', 1]);
    }
    expect(await api.allMembers(second.audienceId, second.version!, 1000)).toEqual(visitorIds(0, 10));
  }, 120_000);

  it('repeats in an .overwrite line the sids the user holds in the other audiences of the data source', async () => {
    const org = acme.orgId;
    const ids = visitorIds(900, 915);
    await driver.share(org, ListExportBuilder.share('exp-w1').segment('36').dataSource('overwriteDs', 5099).identifiers(ids.slice(0, 10)).build());
    expect(await api.settled('exp-w1')).toMatchObject({ status: 'published' });
    await driver.share(org, ListExportBuilder.share('exp-w2').segment('37').dataSource('overwriteDs', 5099).full().identifiers(ids.slice(5)).build());
    const full = await api.settled('exp-w2');
    expect(full).toMatchObject({ status: 'published', version: 1, size: 10 });
    const [version] = await api.versions(full.audienceId);
    expect(version.files[0].fileName).toMatch(/^ftp_dpm_5099_[0-9]{10}\.overwrite$/);
    // without segment 36 on ids 5..9, the marketing cloud would drop them from it
    expect(readLines(orgDir(acme), version.files)).toEqual([...ids.slice(5, 10).map((id) => `${id}\td_sid=37,d_sid=36`), ...ids.slice(10).map((id) => `${id}\td_sid=37`)]);
  });

  it('fails an export whose chunks never all arrive, and frees its staging', async () => {
    const chunks = ListExportBuilder.share('exp-lost').segment('33').identifiers(visitorIds(0, 30)).chunksOf(10).build();
    await driver.share(acme.orgId, [chunks[0], chunks[2]]);
    const lost = await api.settled('exp-lost', 30000);
    expect(lost).toMatchObject({ status: 'failed', version: null, chunks: { received: 2, expected: 3 } });
    expect((lost as unknown as { error: string }).error).toMatch(/^incomplete: 2 of 3 chunks/);
    // the missing chunk arriving late changes nothing
    await driver.share(acme.orgId, [chunks[1]]);
    await waitFor(async () => {
      const [rows] = await db.query('SELECT COUNT(*) AS n FROM export_identifiers i JOIN exports e ON e.export_pk = i.export_pk WHERE e.org_id = ? AND e.export_id = ?', [acme.orgId, 'exp-lost']);
      return Number((rows as { n: string }[])[0].n) === 0;
    }, { what: 'staging of the failed export cleared' });
    expect(await api.json<ExportView>('/v1/exports/exp-lost')).toMatchObject({ status: 'failed', version: null });
    expect((await api.get(`/v1/audiences/${lost.audienceId}`)).status).toBe(404);
  });

  it('applies a delta share on top of its base, and refuses one whose base is not the current version, asking for a resync', async () => {
    const seg = (id: string) => ListExportBuilder.share(id).list('lst-delta').segment('55');
    await driver.share(acme.orgId, seg('exp-d1').identifiers(visitorIds(300, 350)).build());
    const v1 = await api.settled('exp-d1');
    expect(v1).toMatchObject({ status: 'published', version: 1, size: 50 });

    // only the change travels: 5 in, 5 out, on top of exp-d1
    await driver.share(acme.orgId, seg('exp-d2').identifiers(visitorIds(350, 355)).delta('exp-d1', visitorIds(300, 305)).chunksOf(2).build());
    expect(await api.settled('exp-d2')).toMatchObject({ status: 'published', version: 2, size: 50, added: 5, removed: 5 });
    expect(await api.allMembers(v1.audienceId, 2, 1000)).toEqual(visitorIds(305, 355));
    const [v2] = await api.versions(v1.audienceId);
    expect(readLines(orgDir(acme), v2.files)).toEqual([...visitorIds(350, 355).map((id) => `${id}\td_sid=55`), ...visitorIds(300, 305).map((id) => `${id}\td_unsid=55`)]);

    // a delta built on a share the audience never published from: refused, nothing changes, a resync is asked for
    await driver.share(acme.orgId, seg('exp-d3').identifiers(visitorIds(400, 401)).delta('exp-d1', []).build());
    const refused = await api.settled('exp-d3');
    expect(refused).toMatchObject({ status: 'failed' });
    expect((refused as unknown as { error: string }).error).toMatch(/^resync_required/);
    expect((await api.versions(v1.audienceId)).map((v) => v.version)).toEqual([2, 1]);
    const [resync] = await waitFor(() => driver.resyncs.filter((e) => e.payload.exportId === 'exp-d3').length > 0 && driver.resyncs.filter((e) => e.payload.exportId === 'exp-d3'), {
      what: 'an audience.resync for exp-d3',
    });
    expect(resync.orgId).toBe(acme.orgId);
    expect(resync.payload).toEqual({
      exportId: 'exp-d3',
      audienceId: v1.audienceId,
      listId: 'lst-delta',
      dataSource: 'defaultDataSource',
      segmentId: '55',
      audienceName: null,
      baseExportId: 'exp-d1',
      currentExportId: 'exp-d2',
    });

    // the whole list (what identity sends to resync) applies whatever came before
    await driver.share(acme.orgId, seg('exp-d4').identifiers(visitorIds(305, 356)).build());
    expect(await api.settled('exp-d4')).toMatchObject({ status: 'published', version: 3, size: 51, added: 1, removed: 0 });
  });

  it("lists the org's exports newest first, filtered by status, list, audience and time, and cursor-paged", async () => {
    type Page = { items: (ExportView & { listId: string; createdAt: string })[]; next: string | null };
    const all = await api.json<Page>('/v1/exports?limit=1000');
    expect(all.next).toBeNull();
    expect(all.items.length).toBeGreaterThan(10);
    const ids = all.items.map((e) => e.exportId);
    // newest first: of two shares of one audience, the one that arrived later comes first
    expect(ids.indexOf('exp-o2')).toBeLessThan(ids.indexOf('exp-o1'));

    const superseded = await api.json<Page>('/v1/exports?status=superseded');
    expect(superseded.items.map((e) => e.exportId)).toContain('exp-o1');
    expect(superseded.items.every((e) => e.status === 'superseded')).toBe(true);
    const audienceId = all.items.find((e) => e.exportId === 'exp-o2')!.audienceId;
    expect((await api.json<Page>(`/v1/exports?audienceId=${audienceId}`)).items.map((e) => e.exportId)).toEqual(['exp-o2', 'exp-o1']);
    const listId = all.items[0].listId;
    const ofList = await api.json<Page>(`/v1/exports?listId=${encodeURIComponent(listId)}&limit=1000`);
    expect(ofList.items.map((e) => e.exportId)).toEqual(all.items.filter((e) => e.listId === listId).map((e) => e.exportId));

    // pages of 3 walk the same exports in the same order
    const walked: string[] = [];
    for (let after: string | null = null, pages = 0; pages === 0 || after; pages++) {
      const page: Page = await api.json<Page>(`/v1/exports?limit=3${after ? `&after=${after}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      walked.push(...page.items.map((e) => e.exportId));
      after = page.next;
    }
    expect(walked).toEqual(ids);

    const middle = all.items[Math.floor(all.items.length / 2)].createdAt;
    const older = await api.json<Page>(`/v1/exports?createdBefore=${middle}&limit=1000`);
    const newer = await api.json<Page>(`/v1/exports?createdAfter=${middle}&limit=1000`);
    expect(older.items.every((e) => e.createdAt < middle) && newer.items.every((e) => e.createdAt > middle)).toBe(true);
    expect(older.items.length + newer.items.length).toBeLessThanOrEqual(all.items.length);
    expect((await api.json<Page>('/v1/exports?createdAfter=2999-01-01T00:00:00Z')).items).toEqual([]);

    for (const [query, field] of [
      ['status=sent', 'status'],
      ['status=published&status=failed', 'status'],
      ['createdAfter=yesterday', 'createdAfter'],
      ['listId=', 'listId'],
      ['limit=0', 'limit'],
      ['after=not-a-cursor', 'after'],
    ]) {
      const res = await api.get(`/v1/exports?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`^${field}`));
    }
    // another org sees none of them
    const other = new PublicationApi(stack.url('audience-publication'), (await stack.ims.tenant('exports elsewhere')).headers);
    expect((await other.json<Page>('/v1/exports')).items).toEqual([]);
  });

  it("rolls an audience back to a kept version: a new version with version N's members and the delta in its files; 409 once N is pruned", async () => {
    const seg = (id: string) => ListExportBuilder.share(id).segment('37');
    await driver.share(acme.orgId, seg('exp-rb1').identifiers(visitorIds(0, 20)).build());
    const v1 = await api.settled('exp-rb1');
    await driver.share(acme.orgId, seg('exp-rb2').identifiers(visitorIds(5, 25)).build());
    await api.settled('exp-rb2');
    await driver.share(acme.orgId, seg('exp-rb3').identifiers(visitorIds(10, 30)).build());
    expect(await api.settled('exp-rb3')).toMatchObject({ version: 3 });

    const asked = await api.post(`/v1/audiences/${v1.audienceId}/rollback`, { toVersion: 1 });
    expect(asked.status).toBe(202);
    const { exportId } = (await asked.json()) as { exportId: string };
    const rolled = await api.settled(exportId);
    expect(rolled).toMatchObject({ status: 'published', version: 4, size: 20, added: 10, removed: 10 });
    expect(await api.allMembers(v1.audienceId, 4, 1000)).toEqual(visitorIds(0, 20));
    const [v4] = await api.versions(v1.audienceId);
    expect(readLines(orgDir(acme), v4.files).sort()).toEqual([...visitorIds(0, 10).map((id) => `${id}\td_sid=37`), ...visitorIds(20, 30).map((id) => `${id}\td_unsid=37`)].sort());

    const refusal = async (body: unknown, audienceId = v1.audienceId, as = api) => {
      const res = await as.post(`/v1/audiences/${audienceId}/rollback`, body);
      return [res.status, ((await res.json()) as { error: { message: string } }).error.message];
    };
    expect(await refusal({ toVersion: 4 })).toEqual([409, expect.stringMatching(/at version 4 already/)]);
    expect(await refusal({ toVersion: 9 })).toEqual([409, expect.stringMatching(/no version 9/)]);
    expect((await refusal({ toVersion: 0 }))[0]).toBe(400);
    expect((await refusal({ version: 2 }))[0]).toBe(400);
    expect((await refusal({ toVersion: 2 }, 'no-such-audience'))[0]).toBe(404);
    const other = new PublicationApi(stack.url('audience-publication'), (await stack.ims.tenant('rollback elsewhere')).headers);
    expect((await refusal({ toVersion: 2 }, v1.audienceId, other))[0]).toBe(404);
    // KEEP versions are kept: version 1 is gone once version 4 is published
    await waitFor(async () => !(await api.versions(v1.audienceId)).some((v) => v.version === 1), { what: 'version 1 pruned' });
    expect(await refusal({ toVersion: 1 })).toEqual([409, expect.stringMatching(/pruned/)]);
  });

  describe('governance', () => {
    let org: Tenant;
    let orgApi: PublicationApi;

    beforeAll(async () => {
      org = await stack.ims.tenant('umbrella');
      orgApi = new PublicationApi(stack.url('audience-publication'), org.headers);
      await driver.policy(org.orgId, { name: 'no-export-c12', record: { marketingAction: 'cloud-export', status: 'ENABLED', deny: { label: 'C12' } } });
      await driver.policy(org.orgId, {
        name: 'no-cross-site-crm',
        record: { marketingAction: 'cloud-export', status: 'ENABLED', deny: { operator: 'AND', operands: [{ label: 'C5' }, { label: 'C2' }] } },
      });
      await driver.policy(org.orgId, { name: 'draft-c1', record: { marketingAction: 'cloud-export', status: 'DRAFT', deny: { label: 'C1' } } });
      await driver.policy(org.orgId, { name: 'import-only-c1', record: { marketingAction: 'campaign-import', status: 'ENABLED', deny: { label: 'C1' } } });
      await waitFor(async () => {
        const [rows] = await db.query('SELECT COUNT(*) AS n FROM policies WHERE org_id = ?', [org.orgId]);
        return Number((rows as { n: string }[])[0].n) === 4;
      }, { what: 'policies replicated' });
    });

    it('rejects an export whose labels or export controls violate an enabled cloud-export policy, and publishes nothing', async () => {
      await driver.share(org.orgId, ListExportBuilder.share('exp-g1').segment('41').dataSource('crm', 7001).labels('C12').identifiers(visitorIds(0, 5)).build());
      await driver.share(org.orgId, ListExportBuilder.share('exp-g2').segment('42').dataSource('crm', 7001, ['C2']).labels('C5').identifiers(visitorIds(0, 5)).build());
      await driver.share(org.orgId, ListExportBuilder.share('exp-g3').segment('43').dataSource('crm', 7001).labels('C1').identifiers(visitorIds(0, 5)).build());

      const g1 = await orgApi.settled('exp-g1');
      const g2 = await orgApi.settled('exp-g2');
      expect(g1).toMatchObject({ status: 'rejected', version: null, added: null, removed: null });
      expect(g1.policyViolations).toEqual([expect.objectContaining({ name: 'no-export-c12', marketingAction: 'cloud-export' })]);
      expect(g2.status).toBe('rejected');
      expect(g2.policyViolations.map((p) => p.name)).toEqual(['no-cross-site-crm']);
      // a draft policy and another marketing action's policy do not gate an export
      const g3 = await orgApi.settled('exp-g3');
      expect(g3).toMatchObject({ status: 'published', version: 1, policyViolations: [] });
      await driver.waitForEvents(g3.audienceId, 1);

      for (const rejected of [g1, g2]) {
        expect((await orgApi.get(`/v1/audiences/${rejected.audienceId}`)).status).toBe(404);
        expect(driver.eventsFor(rejected.audienceId)).toEqual([]);
      }
      const files = listDir(path.join(outbox, org.orgId));
      const g3Files = (await orgApi.versions(g3.audienceId))[0];
      expect(files).toEqual([...g3Files.files.map((f) => f.fileName), g3Files.infoFile].sort());
    });

    it('follows policy deletions: the same share passes once the policy is gone', async () => {
      await driver.policy(org.orgId, { name: 'no-export-c12', deleted: true, record: null });
      await waitFor(async () => {
        const [rows] = await db.query('SELECT COUNT(*) AS n FROM policies WHERE org_id = ? AND name = ?', [org.orgId, 'no-export-c12']);
        return Number((rows as { n: string }[])[0].n) === 0;
      }, { what: 'policy deletion replicated' });
      await driver.share(org.orgId, ListExportBuilder.share('exp-g4').segment('41').dataSource('crm', 7001).labels('C12').identifiers(visitorIds(0, 5)).build());
      expect(await orgApi.settled('exp-g4')).toMatchObject({ status: 'published', version: 1, added: 5 });
    });

    it('follows a Kafka tombstone (null value) on policy.changed as a deletion', async () => {
      await driver.tombstonePolicy(org.orgId, 'no-cross-site-crm');
      await waitFor(async () => {
        const [rows] = await db.query('SELECT COUNT(*) AS n FROM policies WHERE org_id = ? AND name = ?', [org.orgId, 'no-cross-site-crm']);
        return Number((rows as { n: string }[])[0].n) === 0;
      }, { what: 'policy tombstone replicated' });
      await driver.share(org.orgId, ListExportBuilder.share('exp-g5').segment('42').dataSource('crm', 7001, ['C2']).labels('C5').identifiers(visitorIds(0, 5)).build());
      expect(await orgApi.settled('exp-g5')).toMatchObject({ status: 'published', version: 1, added: 5 });
    });
  });
});
