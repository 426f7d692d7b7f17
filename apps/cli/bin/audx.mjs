#!/usr/bin/env node
// `npx audx` from the repository: runs the compiled CLI, compiling it first when it is missing or
// older than its sources (node tools/build.mjs cli, about a second).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/apps/cli/src/main.js');
const newest = (dir) => fs.readdirSync(dir, { withFileTypes: true }).reduce((t, e) => Math.max(t, e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs), 0);
if (!fs.existsSync(main) || fs.statSync(main).mtimeMs < newest(path.join(root, 'apps/cli/src'))) {
  const built = spawnSync(process.execPath, [path.join(root, 'tools/build.mjs'), 'cli'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) process.exit(1);
}
const { run } = createRequire(import.meta.url)(main);
process.exitCode = await run(process.argv.slice(2));
