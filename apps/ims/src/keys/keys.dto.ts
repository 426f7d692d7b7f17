import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';

export const RotateKeySchema = z
  .object({ activateInSeconds: z.number().int().min(0).max(7 * 86400).optional() })
  .strict();

export class RotateKeyDto {
  @ApiPropertyOptional({ description: 'seconds until the new key signs; default IMS_KEY_PUBLISH_LEAD_SECONDS', example: 900 })
  activateInSeconds?: number;
}

export class RotatedKeyView {
  @ApiProperty() kid: string;
  @ApiProperty({ description: 'when the new key starts signing (it is published at once)' }) activatesAt: string;
}

export class JwksView {
  @ApiProperty({ description: 'RSA public keys (kty, kid, n, e, alg RS256, use sig)', type: 'array', items: { type: 'object' } })
  keys: object[];
}

export class RetiredKeyView {
  @ApiProperty({ description: 'the key retired: gone from the JWKS, its tokens refused' }) retired: string;
  @ApiProperty({ description: 'the key that signs from now' }) signing: string;
}
