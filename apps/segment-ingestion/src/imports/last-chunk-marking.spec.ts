import type { Kafka } from 'kafkajs';
import { SegmentImported, Topics, segmentImportedExample } from '@audx/contracts';
import { EventProducer, TopicNamer, buildMessage } from '@audx/messaging';
import { markingLastChunks } from './last-chunk-marking';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';

describe(markingLastChunks.name, () => {
  const calls: string[] = [];
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      sendBatch: async (b: { topicMessages: { messages: unknown[] }[] }) => void calls.push(`send ${b.topicMessages[0].messages.length}`),
    }),
  } as unknown as Kafka;
  const sut = markingLastChunks(new EventProducer(kafka, new TopicNamer(''), 'test'), {
    markLastChunkSending: async (orgId, importId) => void calls.push(`mark ${orgId} ${importId}`),
  });
  const chunk = (p: SegmentImported) => buildMessage('test', Topics.segmentImported, ORG, p);

  beforeEach(() => calls.splice(0));

  it('records the last chunk before sending it', async () => {
    await sut.sendMessages([chunk(segmentImportedExample)]);
    expect(calls).toEqual([`mark ${ORG} imp_01`, 'send 1']);
  });

  it('sends other chunks and other calls unmarked', async () => {
    const { totals: _, ...first } = segmentImportedExample;
    await sut.sendMessages([chunk({ ...first, last: false })]);
    await sut.publish(Topics.segmentReconciled, ORG, { importId: 'imp_01', matched: 0, unmatched: 0, invalid: 0, lists: [] });
    expect(calls).toEqual(['send 1', 'send 1']);
  });
});
