import { z } from 'zod';
import { IMPORT_FORMATS } from '../parsing/formats';

/** Query of POST /v1/imports; unknown parameters are refused so typos do not pass silently. */
export const ImportQuerySchema = z
  .object({
    dataSource: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - only').optional(),
    format: z.enum(IMPORT_FORMATS).optional(),
    mode: z.enum(['iter', 'full']).optional(),
    fileName: z.string().max(255).optional(),
  })
  .strict();
export type ImportQuery = z.infer<typeof ImportQuerySchema>;

export const ListImportsQuerySchema = z
  .object({
    status: z.enum(['receiving', 'reconciling', 'completed', 'failed', 'rejected']).optional(),
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
    after: z.string().max(200).optional(),
    limit: z.string().optional(),
  })
  .strict();
export type ListImportsQuery = z.infer<typeof ListImportsQuerySchema>;

export const ACCEPTED_CONTENT_TYPES = ['text/plain', 'application/gzip', 'application/x-gzip', 'application/x-ndjson', 'application/octet-stream'] as const;
