import type { DataSource, EntityManager } from 'typeorm';
import { openSchema } from '@audx/persistence';
import { testDatabase, testEnv } from '@audx/testing';
import { MembershipRepository } from '../src/audiences/membership.repository';
import { migrations } from '../src/migrations';
import { Section, byteOrder, diffMembers, oldestKept } from '../src/outbound/outbound-plan';

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// identifiers of several shapes and lengths, so that binary order matters
const UNIVERSE = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `7${String(i).padStart(37, '0')}` : i % 3 === 1 ? `A${i.toString(16)}` : `a${i}`));

describe('MembershipRepository: the set-based delta against real MariaDB', () => {
  let ds: DataSource;
  const sut = () => new MembershipRepository(ds);

  beforeAll(async () => {
    ds = await openSchema({ url: testEnv().mysqlUrl, database: testDatabase('audx_publication_sql'), poolSize: 2, entities: [], migrations });
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  async function stage(exportPk: number, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const slice = ids.slice(i, i + 500);
      await ds.query(`INSERT INTO export_identifiers (export_pk, identifier) VALUES ${slice.map(() => '(?, ?)').join(',')}`, slice.flatMap((id) => [exportPk, id]));
    }
  }

  async function read(manager: EntityManager, audiencePk: number, version: number, section: Section): Promise<string[]> {
    const out: string[] = [];
    for await (const page of sut().section(manager, audiencePk, version, section, 37)) out.push(...page);
    return out;
  }

  async function membersAt(audiencePk: number, version: number): Promise<string[]> {
    const out: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await sut().membersAt(audiencePk, version, after, 50);
      out.push(...page);
      if (page.length < 50) return out;
      after = page[page.length - 1];
    }
  }

  it('gives exactly the added and removed sets of each version, every kept version exactly, across prunes', async () => {
    const audiencePk = 1;
    const random = rng(20251130);
    const keep = 3;
    const history: string[][] = [[]];
    for (let version = 1; version <= 12; version++) {
      const next = UNIVERSE.filter(() => random() < (version % 4 === 0 ? 0.2 : 0.6));
      const exportPk = 1000 + version;
      await stage(exportPk, next);
      const expected = diffMembers(history[version - 1], next);

      const got = await ds.transaction(async (m) => {
        const removed = await sut().closeRemoved(m, audiencePk, exportPk, version);
        const added = await sut().openAdded(m, audiencePk, exportPk, version);
        return { removed, added, addedIds: await read(m, audiencePk, version, 'added'), removedIds: await read(m, audiencePk, version, 'removed'), current: await read(m, audiencePk, version, 'current') };
      });
      expect({ version, ...got }).toEqual({
        version,
        removed: expected.removed.length,
        added: expected.added.length,
        addedIds: expected.added,
        removedIds: expected.removed,
        current: [...next].sort(byteOrder),
      });
      history.push(next);

      await sut().prune(audiencePk, oldestKept(version, keep));
      for (let v = oldestKept(version, keep); v <= version; v++) expect({ v, members: await membersAt(audiencePk, v) }).toEqual({ v, members: [...history[v]].sort(byteOrder) });
    }
    // only rows that serve a kept version remain
    const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM audience_members WHERE audience_pk = ? AND to_version <= ?', [audiencePk, oldestKept(12, keep)]);
    expect(Number(n)).toBe(0);
  });

  it('leaves no trace of a version whose transaction rolls back (a crash before the commit)', async () => {
    const audiencePk = 2;
    await stage(2001, UNIVERSE.slice(0, 50));
    await ds.transaction(async (m) => {
      await sut().closeRemoved(m, audiencePk, 2001, 1);
      await sut().openAdded(m, audiencePk, 2001, 1);
    });
    await stage(2002, UNIVERSE.slice(25, 100));
    await expect(
      ds.transaction(async (m) => {
        await sut().closeRemoved(m, audiencePk, 2002, 2);
        await sut().openAdded(m, audiencePk, 2002, 2);
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(await membersAt(audiencePk, 1)).toEqual(UNIVERSE.slice(0, 50).sort(byteOrder));
    expect(await membersAt(audiencePk, 2)).toEqual(UNIVERSE.slice(0, 50).sort(byteOrder));
    // and the retry computes the same delta as the first attempt would have
    const retried = await ds.transaction(async (m) => ({ removed: await sut().closeRemoved(m, audiencePk, 2002, 2), added: await sut().openAdded(m, audiencePk, 2002, 2) }));
    expect(retried).toEqual({ removed: 25, added: 50 });
  });
});
