/** Route metadata keys read by AccessTokenGuard. */
export const REQUIRED_SCOPES = 'audx:auth:scopes';
export const ORG_OPTIONAL = 'audx:auth:org-optional';
