import fs from 'node:fs';
import { USERS_MANIFEST, renderKafkaUsers } from './kafka-users';

describe('deploy/k8s/kafka-users', () => {
  it('declares exactly the principals and ACLs the local secured broker grants (regenerate with tools/deploy/kafka-users.ts)', () => {
    const manifest = fs.readFileSync(USERS_MANIFEST, 'utf8');
    expect(manifest).toBe(renderKafkaUsers());
    expect(manifest.match(/^kind: KafkaUser$/gm)).toHaveLength(5);
    // outside producers write the external topics and nothing else
    const outside = manifest.split('---').find((d) => d.includes('name: audx-outside-producer'))!;
    expect([...outside.matchAll(/name: (\S+)\n\s+patternType/g)].map((m) => m[1]).sort()).toEqual(['recipient.deleted', 'recipient.upserted', 'segment.membership', 'visitor.identified']);
  });
});
