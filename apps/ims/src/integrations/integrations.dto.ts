import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { ORG_SCOPES, Scope } from '@audx/auth';

export const CreateIntegrationSchema = z
  .object({
    name: z.string().trim().min(1).max(255),
    scopes: z
      .array(z.string())
      .min(1)
      .max(ORG_SCOPES.length)
      .superRefine((scopes, ctx) => {
        for (const s of scopes) {
          if (!(ORG_SCOPES as readonly string[]).includes(s)) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown or reserved scope ${JSON.stringify(s).slice(0, 40)}; allowed: ${ORG_SCOPES.join(', ')}` });
          }
        }
      })
      .transform((scopes) => [...new Set(scopes)] as Scope[]),
  })
  .strict();

export const RotateSecretSchema = z.object({ graceSeconds: z.number().int().min(0).max(7 * 86400).default(0) }).strict();

export class CreateIntegrationDto {
  @ApiProperty({ example: 'campaign-prod' }) name: string;
  @ApiProperty({ example: ['read', 'lists.write'], enum: ORG_SCOPES, isArray: true }) scopes: Scope[];
}

export class RotateSecretDto {
  @ApiPropertyOptional({ description: 'seconds during which the previous secret is still accepted', default: 0, example: 3600 })
  graceSeconds: number;
}

export class CreatedIntegrationView {
  @ApiProperty() clientId: string;
  @ApiProperty({ description: 'shown once; store it now' }) clientSecret: string;
  @ApiProperty({ example: '0E1B8F6D2A3C4B5D6E7F8091@techacct.adobe.com' }) technicalAccountId: string;
  @ApiProperty({ isArray: true, enum: ORG_SCOPES }) scopes: string[];
  @ApiProperty() name: string;
  @ApiProperty() orgId: string;
}

export class IntegrationView {
  @ApiProperty() clientId: string;
  @ApiProperty() technicalAccountId: string;
  @ApiProperty({ isArray: true, enum: ORG_SCOPES }) scopes: string[];
  @ApiProperty() name: string;
  @ApiProperty() orgId: string;
  @ApiProperty() createdAt: string;
}

export class IntegrationPage {
  @ApiProperty({ type: [IntegrationView] }) items: IntegrationView[];
  @ApiProperty({ type: String, nullable: true }) next: string | null;
}

export class RotatedSecretView {
  @ApiProperty() clientId: string;
  @ApiProperty({ description: 'shown once' }) clientSecret: string;
  @ApiProperty({ type: String, nullable: true, description: 'until when the previous secret still works' }) previousSecretExpiresAt: string | null;
}
