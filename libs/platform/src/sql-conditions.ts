/**
 * The AND-ed conditions of a listing query and their values, in order: a filter that was not
 * given (undefined, null or an empty string) adds nothing.
 */
export class SqlConditions {
  private readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  /** Adds `sql` (one `?`) with its value, when the value is given. */
  when(sql: string, value: unknown): this {
    if (value === undefined || value === null || value === '') return this;
    this.clauses.push(sql);
    this.params.push(value);
    return this;
  }

  get sql(): string {
    return this.clauses.join(' AND ');
  }
}
