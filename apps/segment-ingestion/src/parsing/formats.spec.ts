import fc from 'fast-check';
import { IMPORT_FORMATS, MemberLine, PARSERS, formatLine, parseInboundLine, parseNdjsonLine, parseOutboundLine } from './formats';

const VID = '59767559181262060060278870901087098252';

describe('AAM outbound lines', () => {
  it.each([
    [`${VID} 24,26,27 25,28`, { userId: VID, add: ['24', '26', '27'], remove: ['25', '28'] }],
    [`${VID} 24`, { userId: VID, add: ['24'], remove: [] }],
    [`${VID}  25`, { userId: VID, add: [], remove: ['25'] }],
    [`${VID}`, { userId: VID, add: [], remove: [] }],
  ])('parses %j', (line, expected) => expect(parseOutboundLine(line)).toEqual(expected));

  it.each([
    [`${VID} 24 25 26`, /single spaces/],
    [`${VID} 24,x`, /not a numeric segment id/],
    [` 24`, /empty user id/],
    [`${VID}\t24`, /whitespace or control characters/],
  ])('refuses %j', (line, reason) => expect((parseOutboundLine(line) as { error: string }).error).toMatch(reason));

  it('counts an empty id as an invalid id, not a format error, in every format', () => {
    expect(parseOutboundLine(' 24')).toEqual({ error: 'empty user id', invalidId: true });
    expect(parseInboundLine('\td_sid=24')).toEqual({ error: 'empty user id', invalidId: true });
    expect(parseNdjsonLine('{"userId":" ","add":["24"]}')).toEqual({ error: 'empty user id', invalidId: true });
    expect(parseOutboundLine(`${VID} 24 25 26`)).not.toHaveProperty('invalidId');
  });
});

describe('AAM inbound lines', () => {
  it('reads d_sid adds and d_unsid, :0 and :-1 removes', () => {
    expect(parseInboundLine(`${VID}\td_sid=24,d_unsid=25,26:0,27:-1, d_sid=28`)).toEqual({ userId: VID, add: ['24', '28'], remove: ['25', '26', '27'] });
  });
  it('refuses a line without a tab and unknown tokens', () => {
    expect(parseInboundLine(`${VID} d_sid=24`)).toEqual({ error: 'expected <userId><TAB><tokens>' });
    expect((parseInboundLine(`${VID}\tfoo=1`) as { error: string }).error).toMatch(/unknown token/);
  });
});

describe('NDJSON lines', () => {
  it('reads a member and accepts numeric segment ids', () => {
    expect(parseNdjsonLine(JSON.stringify({ userId: 'u1', add: ['24', 26], remove: ['25'] }))).toEqual({ userId: 'u1', add: ['24', '26'], remove: ['25'] });
  });
  it.each([
    ['{bad json', /not valid JSON/],
    ['[1,2]', /expected a JSON object/],
    ['{"userId":5}', /userId: expected a string/],
    ['{"userId":"u","add":"24"}', /add: expected an array/],
    ['{"userId":"u","add":["1; DROP TABLE x"]}', /not a numeric segment id/],
    ['{"userId":"u","extra":1}', /unknown field 'extra'/],
  ])('refuses %s', (line, reason) => expect((parseNdjsonLine(line) as { error: string }).error).toMatch(reason));
});

describe('parsers (property-based)', () => {
  const segment = fc.bigInt({ min: 0n, max: 9_999_999_999n }).map(String);
  const member = fc.record({
    userId: fc.stringMatching(/^[0-9A-Za-z_-]{1,60}$/),
    add: fc.array(segment, { maxLength: 8 }),
    remove: fc.array(segment, { maxLength: 8 }),
  });

  it.each(IMPORT_FORMATS)('%s: valid lines always round-trip', (format) => {
    fc.assert(fc.property(member, (m: MemberLine) => expect(PARSERS[format](formatLine(format, m))).toEqual(m)), { numRuns: 300 });
  });

  it.each(IMPORT_FORMATS)('%s: random text never throws', (format) => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const r = PARSERS[format](text);
        expect(typeof r).toBe('object');
      }),
      { numRuns: 1000 },
    );
  });
});
