import { randomUUID } from 'node:crypto';
import { Envelope, PayloadOf, TopicName, contractOf, messageKey } from '@audx/contracts';

export interface PublishOptions {
  correlationId?: string | null;
  /** A deterministic id makes a re-publication of the same fact a duplicate that consumers drop. */
  id?: string;
  /** The caller built the payload from input it already validated: skip the schema pass (bulk chunks). */
  trusted?: boolean;
  /** Kafka headers, e.g. `authorization` on a topic outside producers write. */
  headers?: Record<string, string>;
}

export interface OutgoingMessage {
  topic: TopicName;
  key: string;
  envelope: Envelope;
  headers?: Record<string, string>;
}

/** Builds a validated envelope; throws on a payload that does not fit its topic's schema. */
export function buildMessage<T extends TopicName>(
  producer: string,
  topic: T,
  orgId: string,
  payload: PayloadOf<T>,
  options: PublishOptions = {},
): OutgoingMessage {
  const contract = contractOf(topic);
  const parsed = options.trusted ? { success: true as const } : contract.schema.safeParse(payload);
  if (!parsed.success) {
    throw new Error(`payload does not fit ${topic}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return {
    topic,
    key: messageKey(topic, payload, orgId),
    envelope: {
      id: options.id ?? randomUUID(),
      type: contract.type,
      version: contract.version,
      orgId,
      occurredAt: new Date().toISOString(),
      correlationId: options.correlationId ?? null,
      producer,
      payload,
    },
    ...(options.headers ? { headers: options.headers } : {}),
  };
}
