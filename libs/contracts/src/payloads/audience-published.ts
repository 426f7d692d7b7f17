import { z } from 'zod';
import { NonEmpty } from './common';

const Count = z.number().int().nonnegative();

export const AudiencePublishedSchema = z.object({
  audienceId: NonEmpty,
  version: z.number().int().positive(),
  size: Count,
  added: Count,
  removed: Count,
  files: z.array(z.object({ fileName: NonEmpty, bytes: Count, lines: Count, md5: z.string().regex(/^[0-9a-f]{32}$/) })),
});
export type AudiencePublished = z.infer<typeof AudiencePublishedSchema>;

export const audiencePublishedExample: AudiencePublished = {
  audienceId: 'aud_01',
  version: 1,
  size: 1,
  added: 1,
  removed: 0,
  files: [{ fileName: 'ftp_dpm_12345_1764489600.sync', bytes: 48, lines: 1, md5: 'd41d8cd98f00b204e9800998ecf8427e' }],
};
