import { DomainError, loggableError } from './domain-error';

describe(loggableError.name, () => {
  it("keeps a DomainError's sentence, and only the kind and code of any other error", () => {
    expect(loggableError(new DomainError('not_found', 'list not found', 404))).toBe('list not found');
    const driver = Object.assign(new Error("Duplicate entry 'jane@example.org' for key 'uq'"), { code: 'ER_DUP_ENTRY' });
    expect(loggableError(driver)).toBe('Error (ER_DUP_ENTRY)');
    let parse: unknown;
    try {
      JSON.parse('{"userId":"jane@example.org"');
    } catch (e) {
      parse = e;
    }
    expect(loggableError(parse)).toBe('SyntaxError');
    expect(loggableError('x')).toBe('string');
  });
});
