import { SegmentImported, Topics } from '@audx/contracts';
import type { EventProducer, OutgoingMessage } from '@audx/messaging';
import type { ImportsRepository } from './imports.repository';

/**
 * The import pipeline's producer, which records in MySQL that an import's last chunk is about to
 * be sent before sending it: from then on reconciliation may apply the import whatever happens to
 * this process, so the import must stay able to complete (ImportsRepository.markCompleted).
 * Every other call goes to `producer` itself (the prototype).
 */
export function markingLastChunks(producer: EventProducer, imports: Pick<ImportsRepository, 'markLastChunkSending'>): EventProducer {
  const marking = Object.create(producer) as EventProducer;
  marking.sendMessages = async (messages: OutgoingMessage[]) => {
    for (const { topic, envelope } of messages) {
      const chunk = envelope.payload as SegmentImported;
      if (topic === Topics.segmentImported && chunk.last) await imports.markLastChunkSending(envelope.orgId, chunk.importId);
    }
    await producer.sendMessages(messages);
  };
  return marking;
}
