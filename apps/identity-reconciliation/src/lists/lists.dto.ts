import { ApiProperty } from '@nestjs/swagger';
import { z } from 'zod';
import { DataUsageLabelSchema, SegmentIdSchema } from '@audx/contracts';
import { DATA_SOURCE_NAME } from '../data-sources/data-source';
import { ListQuerySchema } from './list-query';
import type { ListRecord } from './lists.repository';

const Name = z.string().trim().min(1).max(255);

export const CreateListSchema = z.union([
  z.object({ name: Name, recipientIds: z.array(z.string().trim().min(1).max(128)).max(100000) }).strict(),
  z.object({ name: Name, query: ListQuerySchema }).strict(),
]);
export type CreateListDto = z.infer<typeof CreateListSchema>;

export const PatchListSchema = z
  .object({ name: Name.optional(), labels: z.array(DataUsageLabelSchema).max(100).optional() })
  .strict()
  .refine((p) => p.name !== undefined || p.labels !== undefined, { message: 'give name, labels or both' });
export type PatchListDto = z.infer<typeof PatchListSchema>;

export class PatchListBody {
  @ApiProperty({ required: false }) name?: string;
  @ApiProperty({ required: false, type: [String], description: "data usage labels set on the list (its segment's labels stay: the list carries both)" }) labels?: string[];
}

export const ShareListSchema = z
  .object({
    dataSource: z.string().regex(DATA_SOURCE_NAME, 'a data source name'),
    segmentId: SegmentIdSchema.nullish(),
    audienceName: z.string().trim().min(1).max(255).nullish(),
    mode: z.enum(['incremental', 'full']).default('incremental'),
    /** From this share on, every change of the list publishes a delta (after the debounce); false stops it. */
    keepInSync: z.boolean().optional(),
    debounceSeconds: z.number().int().min(1).max(86400).optional(),
  })
  .strict();
export type ShareListDto = z.infer<typeof ShareListSchema>;

export class ListView {
  @ApiProperty({ example: 'lst_k3j5h2g7f6d4s8a9q1w2' }) listId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['import', 'recipients', 'query', 'complement'] }) origin: string;
  @ApiProperty({ type: String, nullable: true }) segmentId: string | null;
  @ApiProperty({ type: String, nullable: true }) dataSource: string | null;
  @ApiProperty() size: number;
  @ApiProperty({ type: [String] }) labels: string[];
  @ApiProperty() updatedAt: string;
}

export class ListPage {
  @ApiProperty({ type: [ListView] }) items: ListView[];
  @ApiProperty({ type: String, nullable: true }) next: string | null;
}

export class MemberPage {
  @ApiProperty({ type: [String], description: 'recipient ids' }) items: string[];
  @ApiProperty({ type: String, nullable: true }) next: string | null;
}

export class CreatedListView extends ListView {
  @ApiProperty({ description: 'recipientIds the org does not know (left out)' }) unknownRecipients: number;
}

export class CreateListBody {
  @ApiProperty() name: string;
  @ApiProperty({ type: [String], required: false }) recipientIds?: string[];
  @ApiProperty({ type: Object, required: false, example: { all: [{ field: 'attributes.tier', eq: 'gold' }, { field: 'email', exists: true }] } }) query?: unknown;
}

export class ShareListBody {
  @ApiProperty({ example: 'defaultDataSource' }) dataSource: string;
  @ApiProperty({ type: String, required: false, nullable: true, example: '24' }) segmentId?: string | null;
  @ApiProperty({ type: String, required: false, nullable: true }) audienceName?: string | null;
  @ApiProperty({ enum: ['incremental', 'full'], required: false }) mode?: string;
  @ApiProperty({ required: false, description: 'keep the audience in sync: every change of the list publishes a delta after the debounce' }) keepInSync?: boolean;
  @ApiProperty({ required: false, minimum: 1, maximum: 86400, description: 'seconds to gather changes before a kept-in-sync audience is shared (default 60)' }) debounceSeconds?: number;
}

export function listView(l: ListRecord): ListView {
  return {
    listId: l.listId,
    name: l.name,
    origin: l.origin,
    segmentId: l.segmentId,
    dataSource: l.dataSource,
    size: l.size,
    labels: l.labels,
    updatedAt: l.updatedAt.toISOString(),
  };
}
