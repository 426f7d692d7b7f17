import { AuditLog1765600000001, DeadLetters1765700000000, OutboxParked1765100000000 } from '@audx/messaging';
import { Initial1764489600000 } from './1764489600000-initial';
import { Ingestion1764500000000 } from './1764500000000-ingestion';
import { StreamBuffer1764510000000 } from './1764510000000-stream-buffer';
import { LastChunkMarker1764520000000 } from './1764520000000-last-chunk-marker';
import { ReplicaPriority1765700000001 } from './1765700000001-replica-priority';

/** In order; applied on start (synchronize is off). */
export const migrations = [Initial1764489600000, Ingestion1764500000000, StreamBuffer1764510000000, LastChunkMarker1764520000000, OutboxParked1765100000000, AuditLog1765600000001, DeadLetters1765700000000, ReplicaPriority1765700000001];
