#!/usr/bin/env node
// Compiles the services and their libraries to JavaScript in dist/ (the same swc transform that
// @swc-node/register applies at run time, done once): a service then runs as plain `node`, without
// the compiler in every process (about 75 MiB of RSS each). `@audx/*` resolve through
// dist/node_modules, which points each library at its compiled entry.
// `node tools/build.mjs` builds every service afresh; `node tools/build.mjs ims ...` builds those
// services and the libraries (each project's `build` target: `npx nx run-many -t build`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;

const only = process.argv.slice(2);
for (const app of only) if (!fs.existsSync(path.join(root, 'apps', app, 'src'))) throw new Error(`no service apps/${app}`);
const sources = [];
for (const top of ['apps', 'libs']) {
  for (const project of fs.readdirSync(path.join(root, top))) {
    if (top === 'libs' && project === 'testing') continue;
    if (top === 'apps' && only.length > 0 && !only.includes(project)) continue;
    const src = path.join(root, top, project, 'src');
    if (fs.existsSync(src)) collect(src);
  }
}
function collect(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) collect(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) sources.push(full);
  }
}

if (only.length === 0) fs.rmSync(out, { recursive: true, force: true });
else for (const app of only) fs.rmSync(path.join(out, 'apps', app), { recursive: true, force: true });
const started = Date.now();
await Promise.all(
  sources.map(async (file) => {
    const { code } = await swc.transformFile(file, { ...swcrc, sourceMaps: false, swcrc: false, filename: file });
    const target = path.join(out, path.relative(root, file)).replace(/\.ts$/, '.js');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, code);
  }),
);
for (const lib of fs.readdirSync(path.join(root, 'libs'))) {
  if (lib === 'testing' || !fs.existsSync(path.join(out, 'libs', lib, 'src/index.js'))) continue;
  const pkg = path.join(out, 'node_modules/@audx', lib);
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: `@audx/${lib}`, main: `../../../libs/${lib}/src/index.js` }, null, 2));
}
console.log(`[build] ${sources.length} files compiled to dist/ in ${Date.now() - started} ms`);
