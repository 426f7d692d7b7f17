import { z } from 'zod';

export const OrgIdSchema = z.string().regex(/^[0-9A-F]{23,24}@AdobeOrg$/, 'org id must be <24 uppercase hex>@AdobeOrg');
export const SegmentIdSchema = z.string().regex(/^[0-9]{1,19}$/, 'segment id must be numeric');
export const IsoDateSchema = z.string().datetime({ offset: true });
export const NonEmpty = z.string().min(1);
/** A data usage label (domain.md: C1, I2, S3, or an org's own), as policies, segments, lists and data sources carry them. */
export const DataUsageLabelSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'labels are 1 to 32 letters, digits, _ or -');
