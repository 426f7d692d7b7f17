#!/usr/bin/env node
// Local single-node KRaft broker assembled from Maven Central (see tools/kafka/pom.xml).
// Usage: node tools/stack/kafka.mjs start|stop|status|restart
// A broker already answering on KAFKA_BROKERS is reused, never fought; stale pid files and data
// folders left by a killed run are cleaned up.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pom = path.join(root, 'tools/kafka/pom.xml');
const version = /<kafka.version>([^<]+)</.exec(fs.readFileSync(pom, 'utf8'))[1];
const cacheDir = process.env.AUDX_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'audx');
const libsDir = path.join(cacheDir, `kafka-${version}`, 'libs');
const varDir = path.resolve(process.env.AUDX_VAR_DIR ?? path.join(root, '.var'));
const dataDir = path.join(varDir, 'kafka');
const pidFile = path.join(varDir, 'kafka.pid');
const logFile = path.join(varDir, 'kafka.log');
const [host, portText] = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0].split(':');
const port = Number(portText);
const controllerPort = Number(process.env.KAFKA_CONTROLLER_PORT ?? port + 1);
// 'sasl': SASL/SCRAM on the client listener, PLAIN between broker and controller, and KRaft's
// standard authorizer (nothing is allowed that no ACL grants); 'none': a plaintext broker.
const security = process.env.KAFKA_SECURITY ?? 'sasl';
if (!['none', 'sasl'].includes(security)) throw new Error(`KAFKA_SECURITY must be none or sasl, not ${security}`);
const credentialsFile = path.join(dataDir, 'credentials.json');
// the security the data folder was made for
const modeFile = path.join(dataDir, 'security');
const dataFolderMode = () => (fs.existsSync(modeFile) ? fs.readFileSync(modeFile, 'utf8').trim() : 'none');
// the same credentials, kept per address for the machine: another checkout (a clean clone running
// CI) finding this broker already serving adopts them instead of failing
const sharedCredentialsFile = path.join(cacheDir, 'brokers', `${host}_${port}.json`);
/** The principals of a secured broker: the operator's, one per service, and outside producers'. */
export const PRINCIPALS = ['admin', 'audx-ims', 'audx-segment-ingestion', 'audx-identity-reconciliation', 'audx-audience-publication', 'audx-outside-producer'];

const log = (msg) => console.log(`[kafka] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function isListening(h = host, p = port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: h, port: p });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function readPid() {
  try { return Number(fs.readFileSync(pidFile, 'utf8').trim()) || null; } catch { return null; }
}

function requireTool(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    console.error(`[kafka] '${cmd}' is not available here; install it (Java 17 + Maven) or run 'docker compose up' on a machine with Docker.`);
    process.exit(1);
  }
}

export function fetchBroker() {
  const marker = path.join(libsDir, '.complete');
  if (fs.existsSync(marker)) return;
  requireTool('java', ['-version']);
  requireTool('mvn', ['-v']);
  log(`fetching Apache Kafka ${version} from Maven Central into ${libsDir}`);
  fs.rmSync(libsDir, { recursive: true, force: true });
  const r = spawnSync('mvn', ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libsDir}`, '-DincludeScope=runtime'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('mvn could not fetch the Kafka broker');
  fs.writeFileSync(marker, version);
}

/** The principals' passwords, made once per data folder (SCRAM credentials are written when it is formatted). */
function credentials() {
  if (fs.existsSync(credentialsFile)) return JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
  const made = { mechanism: 'scram-sha-256', users: Object.fromEntries(PRINCIPALS.map((u) => [u, randomBytes(18).toString('base64url')])) };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(credentialsFile, JSON.stringify(made, null, 2) + '\n', { mode: 0o600 });
  return made;
}

/** Publishes this broker's credentials for other checkouts of the machine (after it serves). */
function shareCredentials() {
  if (security !== 'sasl' || !fs.existsSync(credentialsFile)) return;
  fs.mkdirSync(path.dirname(sharedCredentialsFile), { recursive: true });
  fs.writeFileSync(sharedCredentialsFile, fs.readFileSync(credentialsFile), { mode: 0o600 });
}

/** Takes the credentials another checkout published for the broker serving at this address. */
function adoptSharedCredentials() {
  // never over a data folder of this checkout's own: its SCRAM users were made with its credentials
  if (!fs.existsSync(sharedCredentialsFile) || fs.existsSync(path.join(dataDir, 'logs'))) return false;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(credentialsFile, fs.readFileSync(sharedCredentialsFile), { mode: 0o600 });
  fs.writeFileSync(modeFile, 'sasl');
  return true;
}

function securityProps() {
  if (security === 'none') {
    return [
      `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${host}:${port}`,
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    ];
  }
  const admin = credentials().users.admin;
  return [
    `listeners=SASL_PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=SASL_PLAINTEXT://${host}:${port}`,
    'listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'inter.broker.listener.name=SASL_PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256',
    // one login entry per enabled mechanism
    ...['scram-sha-256', 'scram-sha-512'].map((m) => `listener.name.sasl_plaintext.${m}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${admin}";`),
    // SCRAM credentials live in the metadata log, which the controller must read first: PLAIN there
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${admin}" user_admin="${admin}";`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users=User:admin',
    'allow.everyone.if.no.acl.found=false',
  ];
}

function writeConfig() {
  fs.mkdirSync(dataDir, { recursive: true });
  // a data folder formatted for the other mode lacks (or has) the SCRAM users: start it afresh
  const made = dataFolderMode();
  if (fs.existsSync(path.join(dataDir, 'logs')) && made !== security) {
    log(`the data folder was made for security '${made}'; wiping it for '${security}'`);
    for (const entry of fs.readdirSync(dataDir)) if (entry !== 'cluster.id') fs.rmSync(path.join(dataDir, entry), { recursive: true, force: true });
  }
  fs.writeFileSync(modeFile, security);
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    'controller.listener.names=CONTROLLER',
    ...securityProps(),
    `log.dirs=${path.join(dataDir, 'logs')}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=24',
    // message.max.bytes and replica.fetch.max.bytes stay at Kafka's defaults (about 1 MiB), as on
    // a production broker, so that tests see what production refuses
  ].join('\n');
  fs.writeFileSync(path.join(dataDir, 'server.properties'), props + '\n');
  fs.writeFileSync(
    path.join(dataDir, 'log4j.properties'),
    ['log4j.rootLogger=WARN, file', 'log4j.logger.kafka.server.KafkaServer=INFO', 'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      'log4j.appender.file=org.apache.log4j.FileAppender', `log4j.appender.file.File=${path.join(dataDir, 'server.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout', 'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n'].join('\n') + '\n',
  );
}

function java(mainClass, args, opts) {
  return spawn('java', ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${path.join(dataDir, 'log4j.properties')}`, '-cp', `${libsDir}/*`, mainClass, ...args], opts);
}

// 16 random bytes in URL-safe base64, as Kafka's Uuid.randomUuid makes them, and like it never
// beginning with '-' (one id in 64 would, and `kafka-storage format -t -…` then fails).
export function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The storage tool's arguments (after `java`) that format the data folder. */
function formatArgs() {
  // The cluster id must stay the same for the life of the data folder.
  const idFile = path.join(dataDir, 'cluster.id');
  const clusterId = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : newClusterId();
  fs.writeFileSync(idFile, clusterId);
  // `--cluster-id=<id>` in one argument: an id read from an older data folder may still begin
  // with '-', which the tool's parser would take for an option.
  // a secured broker's SCRAM users are written into its first metadata, so they exist before it serves
  const scram = security === 'sasl' ? Object.entries(credentials().users).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-256=[name=${name},password=${password}]`, '--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]) : [];
  return ['-cp', `${libsDir}/*`, `-Dlog4j.configuration=file:${path.join(dataDir, 'log4j.properties')}`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', path.join(dataDir, 'server.properties'), '--ignore-formatted', ...scram];
}

function format() {
  const r = spawnSync('java', formatArgs(), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kafka storage format failed: ${r.stderr || r.stdout}`);
}

/**
 * What a container needs to run this broker (the test harness's testcontainers path): the same
 * configuration, credentials and jars, mounted at the same paths, and one shell command that
 * formats the data folder and runs the broker in the container's Java. Printed as JSON.
 */
export function containerPlan() {
  fetchBroker();
  writeConfig();
  const quote = (a) => `'${String(a).replaceAll("'", "'\\''")}'`;
  const javaCommand = (args) => ['java', ...args].map(quote).join(' ');
  const run = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${path.join(dataDir, 'log4j.properties')}`, '-cp', `${libsDir}/*`, 'kafka.Kafka', path.join(dataDir, 'server.properties')];
  const command = ['sh', '-c', `${javaCommand(formatArgs())} && exec ${javaCommand(run)}`];
  writeOutsideCredentials();
  return { version, host, port, binds: [{ source: libsDir, target: libsDir, mode: 'ro' }, { source: dataDir, target: dataDir, mode: 'rw' }], command, serverLog: path.join(dataDir, 'server.log') };
}

async function waitUntilServing(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return false;
    if (await isListening()) {
      const out = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      const serverLog = fs.existsSync(path.join(dataDir, 'server.log')) ? fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8') : '';
      if (/Kafka Server started|started \(kafka\.server/.test(out + serverLog)) return true;
    }
    await sleep(250);
  }
  return false;
}

async function launch() {
  writeConfig();
  format();
  fs.mkdirSync(varDir, { recursive: true });
  const out = fs.openSync(logFile, 'w');
  const child = java('kafka.Kafka', [path.join(dataDir, 'server.properties')], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.writeFileSync(pidFile, String(child.pid));
  return child.pid;
}

/**
 * Where a producer that is not ours finds the secured broker: the outside producers' principal,
 * which the ACLs allow to write the external topics only.
 */
function writeOutsideCredentials() {
  const out = path.join(varDir, 'kafka-credentials.json');
  if (security !== 'sasl' || !fs.existsSync(credentialsFile)) return void fs.rmSync(out, { force: true });
  const { users } = credentials();
  const creds = { bootstrap: `${host}:${port}`, securityProtocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256', username: 'audx-outside-producer', password: users['audx-outside-producer'] };
  fs.writeFileSync(out, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
}

export async function start() {
  if (await isListening()) {
    const mine = readPid();
    const running = dataFolderMode();
    if (mine && alive(mine) && running !== security) {
      log(`this checkout's broker runs with security '${running}'; restarting it with '${security}'`);
      await stopPid(mine);
      fs.rmSync(pidFile, { force: true });
    } else if (!(mine && alive(mine)) && security === 'sasl') {
      if (!adoptSharedCredentials()) {
        throw new Error(`a broker this checkout did not start answers on ${host}:${port}, and its credentials are unknown here: stop it, or use it as it is with KAFKA_SECURITY=none, or set KAFKA_BROKERS to another port`);
      }
      log(`a secured broker of another checkout answers on ${host}:${port}; reusing it with the credentials it published (${sharedCredentialsFile})`);
      writeOutsideCredentials();
      return;
    } else {
      log(`a broker already answers on ${host}:${port}; reusing it`);
      writeOutsideCredentials();
      if (mine && alive(mine)) shareCredentials();
      return;
    }
  }
  const stale = readPid();
  if (stale && alive(stale)) {
    log(`stopping unresponsive broker pid ${stale}`);
    await stopPid(stale);
  }
  fs.rmSync(pidFile, { force: true });
  fetchBroker();
  let pid = await launch();
  if (!(await waitUntilServing(pid, 90_000))) {
    // A data folder left by a killed run can keep the broker from starting: wipe it, try once more.
    log('broker did not come up; wiping its data folder and retrying once');
    await stopPid(pid);
    fs.rmSync(dataDir, { recursive: true, force: true });
    pid = await launch();
    if (!(await waitUntilServing(pid, 90_000))) {
      console.error(fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-4000) : '');
      throw new Error(`Kafka did not start; see ${logFile}`);
    }
  }
  writeOutsideCredentials();
  shareCredentials();
  log(`broker ${version} serving on ${host}:${port} (pid ${pid}, security ${security})`);
}

async function stopPid(pid) {
  try { process.kill(-pid, 'SIGTERM'); } catch { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
  for (let i = 0; i < 120 && alive(pid); i++) await sleep(250);
  if (alive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }
  for (let i = 0; i < 40 && alive(pid); i++) await sleep(250);
}

export async function stop() {
  const pid = readPid();
  if (!pid || !alive(pid)) {
    log('no broker started by this checkout is running');
    fs.rmSync(pidFile, { force: true });
    return;
  }
  await stopPid(pid);
  fs.rmSync(pidFile, { force: true });
  log(`stopped broker pid ${pid}`);
}

export async function status() {
  const up = await isListening();
  log(`${host}:${port} ${up ? 'serving' : 'not serving'} (pid file: ${readPid() ?? 'none'})`);
  return up;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const cmd = process.argv[2] ?? 'status';
  const actions = { start, stop, status, restart: async () => { await stop(); await start(); }, fetch: async () => fetchBroker(), 'container-plan': async () => console.log(JSON.stringify(containerPlan())) };
  if (!actions[cmd]) { console.error('usage: kafka.mjs start|stop|status|restart|fetch|container-plan'); process.exit(2); }
  actions[cmd]().then(() => process.exit(0), (err) => { console.error(`[kafka] ${err.message}`); process.exit(1); });
}
