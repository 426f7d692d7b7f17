import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * The Kubernetes manifests as a cluster reads them: every service runs in production, and fetches
 * the keys that verify every token over https (a service also refuses an http IMS_URL outside
 * loopback at boot: libs/platform's config).
 */
const dir = path.join(__dirname, '../../deploy/k8s');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
type Doc = { kind?: string; metadata?: { name?: string }; data?: Record<string, string>; spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } };
const docs: Doc[] = files.flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as Doc)).filter(Boolean);

/** Every environment value the manifests set, by name, wherever it is set. */
function valuesOf(name: string): string[] {
  const fromMaps = docs.filter((d) => d.kind === 'ConfigMap').flatMap((d) => (d.data?.[name] !== undefined ? [d.data[name]] : []));
  const fromPods = docs.flatMap((d) => d.spec?.template?.spec?.containers ?? []).flatMap((c) => (c.env ?? []).filter((e) => e.name === name && e.value !== undefined).map((e) => e.value!));
  return [...fromMaps, ...fromPods];
}

describe('deploy/k8s', () => {
  it('runs every service in production', () => {
    expect(valuesOf('NODE_ENV').length).toBeGreaterThan(0);
    expect(new Set(valuesOf('NODE_ENV'))).toEqual(new Set(['production']));
  });

  it('fetches the IMS keys over https only', () => {
    const urls = [...valuesOf('IMS_URL'), ...valuesOf('IDENTITY_URL').filter((u) => u.includes('ims'))];
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(new URL(url).protocol).toBe('https:');
  });

  it('authenticates every service to the broker', () => {
    expect(valuesOf('KAFKA_SASL_MECHANISM')).toEqual(expect.arrayContaining([expect.stringMatching(/^scram-sha-(256|512)$/)]));
  });
});
