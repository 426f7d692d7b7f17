import { spawnSync } from 'node:child_process';
import path from 'node:path';

// kafka.mjs is an ES module run by node directly; ask a node process for its ids.
function clusterIds(count: number): string[] {
  const script = `import(${JSON.stringify(path.join(__dirname, 'kafka.mjs'))}).then((m) => {
    console.log(JSON.stringify(Array.from({ length: ${count} }, () => m.newClusterId())));
  });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

describe('kafka stack script: newClusterId', () => {
  it('makes 16-byte URL-safe base64 ids that never begin with "-" (the storage tool would read one as an option)', () => {
    const ids = clusterIds(5000);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});
