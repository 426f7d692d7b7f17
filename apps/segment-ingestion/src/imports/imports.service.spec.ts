import { DomainError } from '@audx/platform';
import { INTERNAL_FAILURE, failureReasonOf } from './imports.service';

describe(failureReasonOf.name, () => {
  it('tells the client its own mistake, and never a driver message, a host or a path', () => {
    expect(failureReasonOf(new DomainError('empty_file', 'the file is empty', 422))).toBe('the file is empty');
    for (const raw of [
      Object.assign(new Error('connect ECONNREFUSED 10.0.4.7:3306'), { code: 'ECONNREFUSED' }),
      new Error("ER_NO_SUCH_TABLE: Table 'audx_ingestion.import_line_hashes' doesn't exist"),
      new Error('This server does not host this topic-partition'),
      'EACCES: permission denied, open /var/lib/audx/inbox/x',
    ]) {
      expect(failureReasonOf(raw)).toBe(INTERNAL_FAILURE);
    }
  });
});
