import type { Envelope, TopicName } from '@audx/contracts';
import type { EventAuthorizer } from '@audx/messaging';
import { bearerToken } from './guard';
import { parseScopeList } from './scopes';
import type { TokenVerifier } from './token-verifier';

/**
 * Checks an event an outside producer wrote the way the guard checks a request: the Kafka header
 * `authorization` must hold `Bearer <access token>`, verified like any token (signature, expiry,
 * revocation), of the envelope's org, with the scope the topic needs.
 */
export function eventAuthorizer(verifier: TokenVerifier): EventAuthorizer {
  return async (topic: TopicName, scope: string, envelope: Envelope, headers) => {
    const raw = headers?.authorization;
    const value = Array.isArray(raw) ? raw[0] : raw;
    const token = bearerToken(value === undefined ? undefined : value.toString());
    if (!token) return { ok: false, reason: `a ${topic} event needs an access token in its authorization header (Bearer <token>)` };
    const result = await verifier.verify(token);
    if (!result.valid) return { ok: false, reason: `invalid access token: ${result.reason}`, unavailable: result.unavailable };
    if (result.claims.org === undefined || result.claims.org !== envelope.orgId) return { ok: false, reason: "the access token is not of the event's orgId" };
    if (!parseScopeList(result.claims.scope).includes(scope)) return { ok: false, reason: `the access token lacks scope ${scope}` };
    return { ok: true };
  };
}
