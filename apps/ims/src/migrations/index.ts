import { AuditLog1765600000001, DeadLetters1765700000000, OutboxParked1765100000000 } from '@audx/messaging';
import { Initial1764489600000 } from './1764489600000-initial';
import { Identity1764576000000 } from './1764576000000-identity';
import { RevocationCutOffMs1765000000000 } from './1765000000000-revocation-cut-off-ms';
import { AuthFailures1765300000000 } from './1765300000000-auth-failures';

/** In order; applied on start (synchronize is off). */
export const migrations = [Initial1764489600000, Identity1764576000000, RevocationCutOffMs1765000000000, OutboxParked1765100000000, AuthFailures1765300000000, AuditLog1765600000001, DeadLetters1765700000000];
