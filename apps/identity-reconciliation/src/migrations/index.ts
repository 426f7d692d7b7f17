import { AuditLog1765600000001, DeadLetters1765700000000, OutboxParked1765100000000 } from '@audx/messaging';
import { Initial1764489600000 } from './1764489600000-initial';
import { Identity1764600000000 } from './1764600000000-identity';
import { SealedDataSourceKeys1764700000000 } from './1764700000000-sealed-data-source-keys';
import { ReportRetention1764710000000 } from './1764710000000-report-retention';
import { ExportChunks1765100000001 } from './1765100000001-export-chunks';
import { ShareBaselines1765100000004 } from './1765100000004-share-baselines';
import { ShareChanges1765200000000 } from './1765200000000-share-changes';
import { RecipientKeys1765300000000 } from './1765300000000-recipient-keys';
import { ImportRowUserHash1765400000000 } from './1765400000000-import-row-user-hash';
import { ImportMatches1765400000001 } from './1765400000001-import-matches';
import { ImportInbox1765500000000 } from './1765500000000-import-inbox';
import { LinkKeys1765500000001 } from './1765500000001-link-keys';
import { ListOwnLabels1765500000002 } from './1765500000002-list-own-labels';
import { ShareRequests1765500000003 } from './1765500000003-share-requests';
import { ListPurges1765600000000 } from './1765600000000-list-purges';
import { AudienceSync1765600000002 } from './1765600000002-audience-sync';

/** In order; applied on start (synchronize is off). */
export const migrations = [Initial1764489600000, Identity1764600000000, SealedDataSourceKeys1764700000000, ReportRetention1764710000000, OutboxParked1765100000000, ExportChunks1765100000001, ShareBaselines1765100000004, ShareChanges1765200000000, RecipientKeys1765300000000, ImportRowUserHash1765400000000, ImportMatches1765400000001, ImportInbox1765500000000, LinkKeys1765500000001, ListOwnLabels1765500000002, ShareRequests1765500000003, ListPurges1765600000000, AuditLog1765600000001, AudienceSync1765600000002, DeadLetters1765700000000];
