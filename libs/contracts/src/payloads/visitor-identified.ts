import { z } from 'zod';
import { IsoDateSchema, NonEmpty } from './common';

export const VisitorIdentifiedSchema = z.object({
  visitorId: z.string().regex(/^[0-9]{38}$/, 'visitor id must be 38 digits'),
  recipientId: NonEmpty.max(128),
  observedAt: IsoDateSchema,
});
export type VisitorIdentified = z.infer<typeof VisitorIdentifiedSchema>;

export const visitorIdentifiedExample: VisitorIdentified = {
  visitorId: '59767559181262060060278870901087098252',
  recipientId: 'r-1001',
  observedAt: '2026-11-30T08:00:00.000Z',
};
