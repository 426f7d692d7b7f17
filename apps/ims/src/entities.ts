import { Integration } from './integrations/integration.entity';
import { SigningKey } from './keys/signing-key.entity';
import { Organization } from './organizations/organization.entity';
import { RevokedToken } from './revocations/revoked-token.entity';

/** Every TypeORM entity of this service's schema. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const entities: Function[] = [Organization, Integration, SigningKey, RevokedToken];
