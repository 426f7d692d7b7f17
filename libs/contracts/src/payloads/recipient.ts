import { z } from 'zod';
import { NonEmpty } from './common';

export const RecipientUpsertedSchema = z
  .object({
    recipientId: NonEmpty.max(128),
    email: z.string().max(320).nullish(),
    crmId: z.string().max(128).nullish(),
    phone: z.string().max(64).nullish(),
    blocklisted: z.boolean().optional(),
    attributes: z.record(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict();
export type RecipientUpserted = z.infer<typeof RecipientUpsertedSchema>;

export const RecipientDeletedSchema = z.object({ recipientId: NonEmpty.max(128) }).strict();
export type RecipientDeleted = z.infer<typeof RecipientDeletedSchema>;

export const recipientUpsertedExample: RecipientUpserted = {
  recipientId: 'r-1001',
  email: 'ada@example.org',
  crmId: 'CRM-1001',
  phone: '+33600000001',
  blocklisted: false,
  attributes: { tier: 'gold' },
};
export const recipientDeletedExample: RecipientDeleted = { recipientId: 'r-1001' };
