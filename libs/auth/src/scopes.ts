/** Every scope an access token can carry (system.md). */
export const Scopes = {
  imsAdmin: 'ims.admin',
  configWrite: 'config.write',
  profilesWrite: 'profiles.write',
  segmentsImport: 'segments.import',
  listsWrite: 'lists.write',
  read: 'read',
} as const;

export type Scope = (typeof Scopes)[keyof typeof Scopes];

export const ALL_SCOPES: readonly Scope[] = Object.values(Scopes);

/** Scopes an organization's integration may hold; `ims.admin` belongs to the bootstrap operator only. */
export const ORG_SCOPES: readonly Scope[] = ALL_SCOPES.filter((s) => s !== Scopes.imsAdmin);

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

/** Splits a scope parameter or claim: comma-separated (Adobe) or space-separated (RFC 6749); order kept, duplicates dropped. */
export function parseScopeList(raw: string | undefined | null): string[] {
  if (!raw) return [];
  return [...new Set(raw.split(/[,\s]+/).filter((s) => s.length > 0))];
}

export function formatScopes(scopes: readonly string[]): string {
  return scopes.join(',');
}
