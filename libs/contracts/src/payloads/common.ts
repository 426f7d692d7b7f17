import { z } from 'zod';

export const OrgIdSchema = z.string().regex(/^[0-9A-F]{23,24}@AdobeOrg$/, 'org id must be <24 uppercase hex>@AdobeOrg');
export const SegmentIdSchema = z.string().regex(/^[0-9]{1,19}$/, 'segment id must be numeric');
export const IsoDateSchema = z.string().datetime({ offset: true });
export const NonEmpty = z.string().min(1);
