import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Admin, type AclEntry } from 'kafkajs';
import { Topics, type TopicName, dlqOf, outsideWriteScopeOf, ALL_TOPICS } from '@audx/contracts';
import type { TopicNamer } from './kafka-client';

export type ServiceName = 'ims' | 'segment-ingestion' | 'identity-reconciliation' | 'audience-publication';

/**
 * The topics each service writes and reads (system.md's topic table). A secured broker grants a
 * service's principal exactly these: WRITE on what it produces (and on the internal topics it consumes,
 * for an operator's replay of a dead letter), READ on what it consumes plus its
 * consumer group, and WRITE on the dead-letter topic of each topic it consumes. Every service also
 * reads `ims.token.revoked` through a group of its own per process (the revocation feed).
 */
export const SERVICE_TOPICS: Record<ServiceName, { produces: readonly TopicName[]; consumes: readonly TopicName[] }> = {
  ims: { produces: [Topics.imsTokenRevoked], consumes: [Topics.imsTokenRevoked] },
  'segment-ingestion': {
    produces: [Topics.segmentImported, Topics.policyChanged, Topics.segmentChanged],
    consumes: [Topics.segmentMembership, Topics.segmentReconciled, Topics.datasourceChanged],
  },
  'identity-reconciliation': {
    produces: [Topics.segmentReconciled, Topics.listUpdated, Topics.listExported, Topics.datasourceChanged],
    consumes: [Topics.segmentImported, Topics.recipientUpserted, Topics.recipientDeleted, Topics.visitorIdentified, Topics.audienceResync, Topics.segmentChanged],
  },
  'audience-publication': {
    produces: [Topics.audiencePublished, Topics.audienceResync],
    consumes: [Topics.listExported, Topics.policyChanged],
  },
};

/** The Kafka principal (SASL user) of a service, and the one of producers outside the product. */
export const servicePrincipal = (service: ServiceName): string => `audx-${service}`;
export const OUTSIDE_PRODUCER = 'audx-outside-producer';

/** Topics that producers outside the product write (each event carries an IMS token: contracts). */
export const EXTERNAL_TOPICS: readonly TopicName[] = ALL_TOPICS.filter((t) => outsideWriteScopeOf(t) !== null);

type Grant = { resourceType: AclResourceTypes; resourceName: string; pattern: ResourcePatternTypes; operation: AclOperationTypes };

const topic = (name: string, operation: AclOperationTypes): Grant => ({ resourceType: AclResourceTypes.TOPIC, resourceName: name, pattern: ResourcePatternTypes.LITERAL, operation });
const group = (name: string, pattern: ResourcePatternTypes): Grant => ({ resourceType: AclResourceTypes.GROUP, resourceName: name, pattern, operation: AclOperationTypes.READ });

/** What a principal may do, for the topics and groups of one deployment (namer: its namespace). */
export function grantsOf(principal: string, namer: TopicNamer): Grant[] {
  if (principal === OUTSIDE_PRODUCER) return EXTERNAL_TOPICS.map((t) => topic(namer.physical(t), AclOperationTypes.WRITE));
  const service = (Object.keys(SERVICE_TOPICS) as ServiceName[]).find((s) => servicePrincipal(s) === principal);
  if (!service) throw new Error(`unknown principal ${principal}`);
  const { produces, consumes } = SERVICE_TOPICS[service];
  const reads: TopicName[] = [...new Set([...consumes, Topics.imsTokenRevoked])];
  // an operator's replay of a dead letter publishes it to the topic it came from again; never an
  // outside producer's topic (its events carry their producer's token, which is not kept)
  const writes: TopicName[] = [...new Set([...produces, ...consumes.filter((t) => outsideWriteScopeOf(t) === null)])];
  return [
    // READ and WRITE imply DESCRIBE; WRITE implies the idempotent producer's IDEMPOTENT_WRITE (KIP-679)
    ...writes.map((t) => topic(namer.physical(t), AclOperationTypes.WRITE)),
    ...reads.map((t) => topic(namer.physical(t), AclOperationTypes.READ)),
    ...consumes.map((t) => topic(namer.physical(dlqOf(t)), AclOperationTypes.WRITE)),
    group(namer.group(principal), ResourcePatternTypes.LITERAL),
    // the revocation feed's group is one per process: audx-<service>.revocations.<host>.<pid>.<random>
    group(namer.group(`${principal}.revocations.`), ResourcePatternTypes.PREFIXED),
  ];
}

/** Every principal of the product. */
export const PRINCIPALS: readonly string[] = [...(Object.keys(SERVICE_TOPICS) as ServiceName[]).map(servicePrincipal), OUTSIDE_PRODUCER];

/** Grants every principal its ACLs (idempotent: Kafka keeps one binding per distinct ACL). Needs an admin of the cluster. */
export async function grantAcls(admin: Admin, namer: TopicNamer): Promise<number> {
  const acl: AclEntry[] = PRINCIPALS.flatMap((p) =>
    grantsOf(p, namer).map((g) => ({
      resourceType: g.resourceType,
      resourceName: g.resourceName,
      resourcePatternType: g.pattern,
      principal: `User:${p}`,
      host: '*',
      operation: g.operation,
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
  await admin.createAcls({ acl });
  return acl.length;
}
