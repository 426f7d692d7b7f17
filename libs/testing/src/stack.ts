import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../../..');

/** Runs one of the local-stack scripts (tools/stack/*.mjs); throws with its output on failure. */
export function runStackScript(script: 'kafka' | 'mysql', args: string[] = [], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'tools/stack', `${script}.mjs`), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (r.status !== 0) throw new Error(`tools/stack/${script}.mjs ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
