#!/usr/bin/env node
// Makes sure MySQL answers on MYSQL_URL; starts the local MariaDB when it is installed and down.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const url = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ping() {
  const mysql = require('mysql2/promise');
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 2000 });
    await conn.query('SELECT 1');
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

export async function ensureMysql() {
  if (await ping()) return console.log(`[mysql] answering at ${url.replace(/:[^:@/]*@/, ':***@')}`);
  const daemon = '/usr/sbin/mariadbd';
  if (!fs.existsSync(daemon)) throw new Error(`MySQL does not answer at ${url} and no local MariaDB is installed; run 'docker compose up mysql'`);
  console.log('[mysql] not answering; starting the local MariaDB');
  const r = spawnSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', daemon], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('start-stop-daemon could not start MariaDB');
  const waitSeconds = Number(process.env.AUDX_MYSQL_WAIT_S ?? 60);
  for (let i = 0; i < waitSeconds * 2; i++) {
    if (await ping()) return console.log('[mysql] MariaDB started');
    await sleep(500);
  }
  throw new Error(`MySQL did not answer at ${url.replace(/:[^:@/]*@/, ':***@')} within ${waitSeconds} s`);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) ensureMysql().then(() => process.exit(0), (e) => { console.error(`[mysql] ${e.message}`); process.exit(1); });
