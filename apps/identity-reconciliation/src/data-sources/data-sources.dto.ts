import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import type { DataSourceRecord } from './data-source';
import { ReconciliationKeySchema } from './data-source';

const Hex = (bytes: number[]) =>
  z
    .string()
    .regex(/^[0-9a-fA-F]+$/, 'must be hex')
    .refine((v) => bytes.includes(v.length / 2), `must be ${bytes.join(', ')} bytes in hex`);

export const PutDataSourceSchema = z
  .object({
    label: z.string().trim().min(1).max(255),
    kind: z.enum(['visitor', 'declared']),
    reconciliationKey: ReconciliationKeySchema.nullish(),
    dpid: z.number().int().positive().max(2 ** 53 - 1),
    destinationId: z.number().int().nonnegative().nullish(),
    alias: z.string().trim().min(1).max(255).nullish(),
    hash: z.enum(['none', 'sha256']).default('none'),
    encryption: z
      .object({ keyHex: Hex([16, 24, 32]), ivHex: Hex([16]), channel: z.enum(['email', 'sms', 'other']).default('other') })
      .strict()
      .nullish(),
    priority: z.number().int().min(-1000000).max(1000000).default(0),
    exportControls: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'a data usage label')).max(64).default([]),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.kind === 'declared' && !v.reconciliationKey) ctx.addIssue({ code: 'custom', path: ['reconciliationKey'], message: 'required for a declared data source' });
    if (v.kind === 'visitor') {
      if (v.reconciliationKey) ctx.addIssue({ code: 'custom', path: ['reconciliationKey'], message: 'a visitor data source matches visitor links, not a key' });
      if (v.hash !== 'none') ctx.addIssue({ code: 'custom', path: ['hash'], message: 'visitor IDs are not hashed' });
      if (v.encryption) ctx.addIssue({ code: 'custom', path: ['encryption'], message: 'visitor IDs are not encrypted' });
    }
  });
export type PutDataSourceDto = z.infer<typeof PutDataSourceSchema>;

export class EncryptionInput {
  @ApiProperty({ example: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' }) keyHex: string;
  @ApiProperty({ example: 'f0e0d0c0b0a090807060504030201000' }) ivHex: string;
  @ApiProperty({ enum: ['email', 'sms', 'other'] }) channel: string;
}

export class PutDataSourceBody {
  @ApiProperty({ example: 'CRM hashed email' }) label: string;
  @ApiProperty({ enum: ['visitor', 'declared'] }) kind: string;
  @ApiPropertyOptional({ example: 'email', description: 'recipientId, email, crmId, phone or attributes.<name>' }) reconciliationKey?: string;
  @ApiProperty({ example: 54321 }) dpid: number;
  @ApiPropertyOptional({ example: 777 }) destinationId?: number;
  @ApiPropertyOptional({ example: 'AdobeCampaignID' }) alias?: string;
  @ApiPropertyOptional({ enum: ['none', 'sha256'] }) hash?: string;
  @ApiPropertyOptional({ type: EncryptionInput, nullable: true }) encryption?: EncryptionInput | null;
  @ApiPropertyOptional() priority?: number;
  @ApiPropertyOptional({ type: [String], example: ['C2'] }) exportControls?: string[];
}

export class DataSourceView {
  @ApiProperty() name: string;
  @ApiProperty() label: string;
  @ApiProperty({ enum: ['visitor', 'declared'] }) kind: 'visitor' | 'declared';
  @ApiProperty({ type: String, nullable: true }) reconciliationKey: string | null;
  @ApiProperty() dpid: number;
  @ApiProperty({ type: Number, nullable: true }) destinationId: number | null;
  @ApiProperty({ type: String, nullable: true }) alias: string | null;
  @ApiProperty({ enum: ['none', 'sha256'] }) hash: 'none' | 'sha256';
  @ApiProperty({ description: 'the channel only: key and IV are never returned', nullable: true }) encryption: { channel: string } | null;
  @ApiProperty() priority: number;
  @ApiProperty({ type: [String] }) exportControls: string[];
  @ApiProperty() updatedAt: string;
}

export class DataSourcePage {
  @ApiProperty({ type: [DataSourceView] }) items: DataSourceView[];
  @ApiProperty({ type: String, nullable: true }) next: string | null;
}

export function dataSourceView(ds: DataSourceRecord): DataSourceView {
  return {
    name: ds.name,
    label: ds.label,
    kind: ds.kind,
    reconciliationKey: ds.reconciliationKey,
    dpid: ds.dpid,
    destinationId: ds.destinationId,
    alias: ds.alias,
    hash: ds.hash,
    encryption: ds.encryption ? { channel: ds.encryption.channel } : null,
    priority: ds.priority,
    exportControls: ds.exportControls,
    updatedAt: ds.updatedAt.toISOString(),
  };
}
