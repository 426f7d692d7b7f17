import { randomBytes } from 'node:crypto';

/** `<24 uppercase hex>@AdobeOrg` */
export function newOrgId(): string {
  return `${randomBytes(12).toString('hex').toUpperCase()}@AdobeOrg`;
}

/** 32 lowercase hex characters, like Adobe's API keys. */
export function newClientId(): string {
  return randomBytes(16).toString('hex');
}

/** 256 random bits; shown once, stored only as a scrypt hash. */
export function newClientSecret(): string {
  return `p8e-${randomBytes(32).toString('base64url')}`;
}

export function newTechnicalAccountId(): string {
  return `${randomBytes(12).toString('hex').toUpperCase()}@techacct.adobe.com`;
}

export const ORG_ID_PATTERN = /^[0-9A-F]{23,24}@AdobeOrg$/;
