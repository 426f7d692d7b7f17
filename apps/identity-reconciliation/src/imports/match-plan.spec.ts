import { aesEncrypt, aesKey, sha256Hex } from '@audx/identifiers';
import type { Matcher } from '../data-sources/data-source';
import { IdStatus, MatchPlan, planOf, resolutionSteps, stageIdentifier } from './match-plan';

const KEY = aesKey('000102030405060708090a0b0c0d0e0f', 'f0e0d0c0b0a090807060504030201000');
const visitor: Matcher = { kind: 'visitor', key: null, hash: 'none', aes: null };
const email: Matcher = { kind: 'declared', key: { kind: 'email' }, hash: 'none', aes: null };
const emailSha: Matcher = { kind: 'declared', key: { kind: 'email' }, hash: 'sha256', aes: null };
const crmAes: Matcher = { kind: 'declared', key: { kind: 'crmId' }, hash: 'none', aes: KEY };
const phone: Matcher = { kind: 'declared', key: { kind: 'phone' }, hash: 'none', aes: null };
const attr: Matcher = { kind: 'declared', key: { kind: 'attribute', name: 'loyalty' }, hash: 'sha256', aes: null };

const stage = (userId: string, m: Matcher | null) => stageIdentifier(userId, planOf(m), m);

describe(stageIdentifier.name, () => {
  it('takes visitor IDs as they are and refuses anything but 38 digits', () => {
    const id = '59767559181262060060278870901087098252';
    expect(stage(id, visitor)).toEqual({ userId: id, status: IdStatus.pending, keyText: id, keyHash: null });
    expect(stage(id.slice(1), visitor).status).toBe(IdStatus.invalid);
    expect(stage(` ${id}`, visitor).status).toBe(IdStatus.invalid);
  });

  it('normalises emails and phones, and reads digests in either case', () => {
    expect(stage('  Ada@Example.ORG ', email).keyHash?.toString('hex')).toBe(sha256Hex('ada@example.org'));
    expect(stage('not-an-email', email).status).toBe(IdStatus.invalid);
    expect(stage('0033 6 00 00 00 01', phone).keyHash?.toString('hex')).toBe(sha256Hex('+33600000001'));
    const digest = sha256Hex('ecid@adobe.com');
    expect(stage(digest.toUpperCase(), emailSha).keyHash?.toString('hex')).toBe(digest);
    expect(stage('ecid@adobe.com', emailSha).status).toBe(IdStatus.invalid);
  });

  it('decrypts AES values and reports what does not decrypt', () => {
    expect(stage(aesEncrypt(' CRM-1 ', KEY), crmAes)).toMatchObject({ status: IdStatus.pending, keyText: null });
    expect(stage(aesEncrypt(' CRM-1 ', KEY), crmAes).keyHash?.toString('hex')).toBe(sha256Hex('CRM-1'));
    expect(stage('zzzz', crmAes).status).toBe(IdStatus.undecryptable);
  });

  it('marks every identifier of an unknown data source, and truncates absurdly long ids', () => {
    expect(stage('x', null).status).toBe(IdStatus.unknownDataSource);
    const long = 'a'.repeat(300);
    expect(stage(long, email)).toMatchObject({ status: IdStatus.invalid, userId: 'a'.repeat(255) });
  });
});

describe(resolutionSteps.name, () => {
  it('sorts declared keys, plain or hashed, by lookup key, joins the key index, then checks org and digest on the row', () => {
    for (const m of [email, emailSha]) {
      const steps = resolutionSteps(planOf(m), 'ORG', '7')!;
      expect(steps[0]).toMatchObject({ params: ['ORG', '7'] });
      expect(steps[0].sql).toContain('ORDER BY 4');
      expect(steps[1].sql).toContain('r.email_k = s.key_k');
      expect(steps[2].sql).toContain("r.org_id <> ? OR NOT (r.email_sha256 <=> m.key_hash)");
      expect(steps[2].params).toEqual(['ORG']);
      // identifiers whose only candidates failed the check come back as unmatched
      expect(steps[2].ifAffected!.at(-1)!.sql).toContain('SELECT 0, seq, n');
    }
    const a = resolutionSteps(planOf(attr), 'ORG', '7')!;
    expect(a[1].params).toEqual(['ORG', 'loyalty']);
    expect(a[1].sql).toContain('r.value_sha256 = s.key_hash');
  });

  it('resolves visitor IDs in two sorted hops: links, then recipients', () => {
    const steps = resolutionSteps(planOf(visitor), 'ORG', '7')!;
    expect(steps.map((s) => s.sql.match(/INSERT (?:IGNORE )?INTO (\w+)/)![1])).toEqual(['t_keys', 't_rkeys', 't_match']);
    expect(steps[1].sql).toContain('ORDER BY v.recipient_id');
    expect(resolutionSteps({ target: 'none' } as MatchPlan, 'ORG', '7')).toBeNull();
  });
});
