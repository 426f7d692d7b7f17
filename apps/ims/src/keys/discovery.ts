import { ALL_SCOPES } from '@audx/auth';

/** The OpenID Provider metadata of this IMS (what clients discover endpoints from). */
export function discoveryDocument(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/ims/keys`,
    token_endpoint: `${issuer}/ims/token/v3`,
    introspection_endpoint: `${issuer}/ims/validate_token/v1`,
    revocation_endpoint: `${issuer}/ims/invalidate_token/v2`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: ['token'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    subject_types_supported: ['public'],
    scopes_supported: [...ALL_SCOPES],
    claims_supported: ['iss', 'sub', 'iat', 'nbf', 'exp', 'jti', 'type', 'client_id', 'user_id', 'as', 'scope', 'created_at', 'expires_in', 'org'],
  };
}
