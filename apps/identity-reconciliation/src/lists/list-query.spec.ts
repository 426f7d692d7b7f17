import { sha256 } from '@audx/identifiers';
import { recipientKey } from '../recipients/recipient-key';
import { ListQuerySchema, compileListQuery } from './list-query';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';

describe(compileListQuery.name, () => {
  it('compiles equality, in-list and exists over fields and attributes into parameters only', () => {
    const sut = compileListQuery(
      ListQuerySchema.parse({
        all: [
          { field: 'email', eq: '  Ada@Example.ORG ' },
          { field: 'crmId', in: ['A', 'B'] },
          { field: 'attributes.tier', eq: 'gold' },
          { field: 'attributes.vip', exists: false },
          { field: 'phone', exists: true },
          { field: 'blocklisted', eq: false },
        ],
      }),
      ORG,
    );
    expect(sut.where).toBe(
      '(r.email_k IN (?) AND r.email_sha256 IN (?)) AND (r.crm_id_k IN (?,?) AND r.crm_id_sha256 IN (?,?)) AND (r.rid IN (SELECT a.rid FROM recipient_attributes a WHERE a.org_id = ? AND a.name = ? AND a.value_sha256 IN (?))) AND (NOT EXISTS (SELECT 1 FROM recipient_attributes a WHERE a.rid = r.rid AND a.name = ?)) AND (r.phone IS NOT NULL) AND (r.blocklisted IN (?))',
    );
    const key = (v: string) => recipientKey(ORG, sha256(v));
    expect(sut.params).toEqual([key('ada@example.org'), sha256('ada@example.org'), key('A'), key('B'), sha256('A'), sha256('B'), ORG, 'tier', sha256('gold'), 'vip', 0]);
  });

  it('keeps hostile input in parameters', () => {
    const hostile = { all: [{ field: "attributes.x') OR 1=1 --", eq: "' OR '1'='1" }] };
    // the schema refuses such a name; compiled anyway, it still stays a parameter
    expect(ListQuerySchema.safeParse(hostile).success).toBe(false);
    const sut = compileListQuery(hostile, ORG);
    expect(sut.where).not.toContain('OR 1=1');
    expect(sut.params).toContainEqual("x') OR 1=1 --");
    expect(sut.params).toContainEqual(sha256("' OR '1'='1"));
    expect(compileListQuery(ListQuerySchema.parse({ all: [{ field: 'attributes.x', eq: "' OR '1'='1" }] }), ORG).params).toContainEqual(sha256("' OR '1'='1"));
  });

  it('refuses unknown fields, operators and empty queries', () => {
    expect(ListQuerySchema.safeParse({ all: [{ field: 'password', eq: 'x' }] }).success).toBe(false);
    expect(ListQuerySchema.safeParse({ all: [{ field: 'email', like: '%' }] }).success).toBe(false);
    expect(ListQuerySchema.safeParse({ all: [] }).success).toBe(false);
    expect(ListQuerySchema.safeParse({ all: [{ field: 'email', in: [] }] }).success).toBe(false);
  });
});
