import { aesEncrypt, aesKey, sha256Hex } from '@audx/identifiers';
import type { Matcher } from '../data-sources/data-source';
import { IdStatus, MatchPlan, planOf, resolution, stageIdentifier } from './match-plan';

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

describe(resolution.name, () => {
  it('looks declared keys up by their 8-byte lookup key and checks org and full digest in the join', () => {
    for (const m of [email, emailSha]) {
      const st = resolution(planOf(m), 'ORG', '7', [3])!;
      expect(st.sql).toContain('r.email_k = UNHEX(');
      // a candidate that fails the check is no match: the LEFT JOIN leaves rid 0
      expect(st.sql).toContain('AND r.org_id = ? AND r.email_sha256 = s.key_hash');
      expect(st.params).toEqual(['ORG', 'ORG', '7', 3]);
    }
    const a = resolution(planOf(attr), 'ORG', '7', [3])!;
    expect(a.params).toEqual(['ORG', 'loyalty', '7', 3]);
    expect(a.sql).toContain('r.value_sha256 = s.key_hash');
  });

  it('resolves visitor IDs through their links to recipients of the same org', () => {
    const st = resolution(planOf(visitor), 'ORG', '7', [3])!;
    expect(st.sql).toContain('LEFT JOIN visitors v ON v.org_id = ? AND v.visitor_id = s.key_text LEFT JOIN recipients r ON r.org_id = ? AND r.recipient_id = v.recipient_id');
    expect(st.sql).toMatch(/^INSERT IGNORE INTO import_matches/);
    expect(resolution({ target: 'none' } as MatchPlan, 'ORG', '7', [3])).toBeNull();
  });

  it('reads only the staged rows of the chunks it is given', () => {
    for (const m of [visitor, email, attr]) {
      const st = resolution(planOf(m), 'ORG', '7', [4, 9])!;
      expect(st.sql).toContain('WHERE s.import_pk = ? AND s.seq IN (?,?) AND s.status = 0');
      expect(st.params.slice(-3)).toEqual(['7', 4, 9]);
    }
    expect(resolution(planOf(email), 'ORG', '7', [])).toBeNull();
  });
});
