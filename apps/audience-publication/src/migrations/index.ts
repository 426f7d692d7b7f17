import { AuditLog1765600000001, DeadLetters1765700000000, OutboxParked1765100000000 } from '@audx/messaging';
import { RemovalFiles1765100000002 } from './1765100000002-removal-files';
import { DeltaExports1765100000003 } from './1765100000003-delta-exports';
import { ExportListing1765600000000 } from './1765600000000-export-listing';
import { ExportInbox1765600000003 } from './1765600000003-export-inbox';
import { Initial1764489600000 } from './1764489600000-initial';
import { Publication1764662400000 } from './1764662400000-publication';
import { ShareOrder1764990000000 } from './1764990000000-share-order';

/** In order; applied on start (synchronize is off). */
export const migrations = [Initial1764489600000, Publication1764662400000, ShareOrder1764990000000, OutboxParked1765100000000, RemovalFiles1765100000002, DeltaExports1765100000003, ExportListing1765600000000, AuditLog1765600000001, ExportInbox1765600000003, DeadLetters1765700000000];
