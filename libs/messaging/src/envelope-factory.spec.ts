import { Topics, segmentImportedExample, visitorIdentifiedExample } from '@audx/contracts';
import { buildMessage } from './envelope-factory';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';

describe('buildMessage', () => {
  it('wraps a payload in the envelope with the key system.md fixes for the topic', () => {
    const sut = buildMessage('test', Topics.segmentImported, ORG, segmentImportedExample, { correlationId: 'c-1' });
    expect(sut.key).toBe(segmentImportedExample.importId);
    expect(sut.envelope).toMatchObject({ type: 'SegmentImported', version: 1, orgId: ORG, producer: 'test', correlationId: 'c-1', payload: segmentImportedExample });
    expect(sut.envelope.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a deterministic id when one is given (re-publication is a duplicate)', () => {
    const id = '3f2b9a1e-8f1c-4a57-9d3e-2c4b5a6d7e8f';
    expect(buildMessage('test', Topics.visitorIdentified, ORG, visitorIdentifiedExample, { id }).envelope.id).toBe(id);
  });

  it('refuses, at compile time and at run time, a payload that belongs to another topic', () => {
    // @ts-expect-error a visitor link is not a segment import
    expect(() => buildMessage('test', Topics.segmentImported, ORG, visitorIdentifiedExample)).toThrow(/payload does not fit segment.imported/);
  });
});
