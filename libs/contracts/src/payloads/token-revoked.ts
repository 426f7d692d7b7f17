import { z } from 'zod';
import { NonEmpty } from './common';

export const TokenRevokedSchema = z.object({ jti: NonEmpty, exp: z.number().int().positive() });
export type TokenRevoked = z.infer<typeof TokenRevokedSchema>;

export const tokenRevokedExample: TokenRevoked = { jti: '0b6f3e0e-6d33-4d49-9f3c-2a9b1c1e4d10', exp: 1764576000 };
