import { z } from 'zod';

/** The claims of an access token issued by IMS (Adobe's names plus the standard ones). */
export const AccessTokenClaimsSchema = z
  .object({
    iss: z.string().min(1),
    /** Who the token is for: every service of the product checks it (IMS_AUDIENCE). */
    aud: z.string().min(1).max(256).optional(),
    sub: z.string().min(1),
    iat: z.number().int().nonnegative(),
    nbf: z.number().int().nonnegative().optional(),
    exp: z.number().int().positive(),
    jti: z.string().min(1).max(128),
    type: z.literal('access_token'),
    client_id: z.string().min(1).max(128),
    user_id: z.string().min(1),
    as: z.string().min(1),
    scope: z.string(),
    created_at: z.string().regex(/^\d+$/),
    expires_in: z.string().regex(/^\d+$/),
    org: z.string().min(1).optional(),
  })
  .passthrough();

export type AccessTokenClaims = z.infer<typeof AccessTokenClaimsSchema>;

/** What a verified request carries once the guard let it through. */
export interface AuthContext {
  clientId: string;
  /** The token's organization; undefined for the bootstrap operator's token. */
  orgId: string | undefined;
  userId: string;
  scopes: string[];
  jti: string;
  claims: AccessTokenClaims;
}
