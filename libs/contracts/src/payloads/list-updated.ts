import { z } from 'zod';
import { NonEmpty } from './common';

const Count = z.number().int().nonnegative();

export const ListUpdatedSchema = z.object({
  listId: NonEmpty,
  size: Count,
  added: Count,
  removed: Count,
  cause: z.enum(['import', 'recipient-erased', 'created', 'members-edited', 'deleted']),
});
export type ListUpdated = z.infer<typeof ListUpdatedSchema>;

export const listUpdatedExample: ListUpdated = { listId: 'lst_01', size: 1, added: 1, removed: 0, cause: 'import' };
