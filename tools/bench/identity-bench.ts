/**
 * identity-reconciliation: a 1M-member import against 1M recipients, through the service's own
 * code (staging as the consumer does it, then the one-transaction apply), next to a plain
 * LOAD DATA + INSERT ... SELECT join of the same identifiers on the same MySQL in the same run.
 * Also: recipient upserts/s and visitor links/s (the NDJSON write paths without HTTP), and
 * identifiers exported/s when the resulting list is shared.
 *
 *   node -r @swc-node/register tools/bench/identity-bench.ts            (BENCH_MEMBERS=1000000)
 *   BENCH_MEMBERS=100000 BENCH_KIND=emailSha node -r @swc-node/register tools/bench/identity-bench.ts
 *
 * BENCH_KIND: visitor (default: visitor links -> recipients) or emailSha (declared, SHA-256 email).
 * AUDX_KEEP_TEST_STATE=1 keeps the database; BENCH_DATABASE=<kept name> reuses its recipients and
 * links (seeding 1M recipients is most of the run) and only re-runs the import, baseline and share.
 */
import 'reflect-metadata';
import { Readable } from 'node:stream';
import pino from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { SegmentImported } from '@audx/contracts';
import { sha256Hex } from '@audx/identifiers';
import { ConsumerBacklog, OutboxWriter } from '@audx/messaging';
import { AtRestCipher, openSchema } from '@audx/persistence';
import { Metrics, ServiceRuntime } from '@audx/platform';
import { IdentityConfig, IdentityEnvSchema } from '../../apps/identity-reconciliation/src/config';
import { DataSourcesRepository } from '../../apps/identity-reconciliation/src/data-sources/data-sources.repository';
import { DataSourcesService } from '../../apps/identity-reconciliation/src/data-sources/data-sources.service';
import { ChangeLog } from '../../apps/identity-reconciliation/src/changes/change-log';
import { ChangeLogRepository } from '../../apps/identity-reconciliation/src/changes/change-log.repository';
import { ExportsService } from '../../apps/identity-reconciliation/src/exports/exports.service';
import { ExportsRepository } from '../../apps/identity-reconciliation/src/exports/exports.repository';
import { SharesRepository } from '../../apps/identity-reconciliation/src/exports/shares.repository';
import { ShareRequestsRepository } from '../../apps/identity-reconciliation/src/exports/share-requests.repository';
import { ShareRequestSignal } from '../../apps/identity-reconciliation/src/exports/share-request.signal';
import { ExportSender } from '../../apps/identity-reconciliation/src/exports/export-sender';
import { ImportApplier } from '../../apps/identity-reconciliation/src/imports/import-applier';
import { ImportApplyRepository } from '../../apps/identity-reconciliation/src/imports/import-apply.repository';
import { ImportStager } from '../../apps/identity-reconciliation/src/imports/import-stager';
import { ImportsRepository } from '../../apps/identity-reconciliation/src/imports/imports.repository';
import { ListsRepository } from '../../apps/identity-reconciliation/src/lists/lists.repository';
import { migrations } from '../../apps/identity-reconciliation/src/migrations';
import { RecipientsRepository } from '../../apps/identity-reconciliation/src/recipients/recipients.repository';
import { recipientKeySql } from '../../apps/identity-reconciliation/src/recipients/recipient-key';
import { RecipientsService } from '../../apps/identity-reconciliation/src/recipients/recipients.service';
import { VisitorsRepository } from '../../apps/identity-reconciliation/src/visitors/visitors.repository';
import { VisitorsService } from '../../apps/identity-reconciliation/src/visitors/visitors.service';
import { benchEnv, report, timed } from './bench-support';

const N = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const KIND = (process.env.BENCH_KIND ?? 'visitor') as 'visitor' | 'emailSha';
const MATCH_RATE = 0.9;
const CHUNK = Number(process.env.BENCH_CHUNK ?? 5000);
const CHUNKS_PER_TX = 10;
const ORG = 'BE0C4000000000000000BE0C@AdobeOrg';

/** Visitor IDs as real ones look: 38 digits in no particular order. */
const visitorOf = (i: number) => BigInt(`0x${sha256Hex(`visitor-${i}`).slice(0, 30)}`).toString().padStart(38, '0');
const emailOf = (i: number) => `person${i}@bench.example`;
/** The i-th member of an import: a known identifier for 90 %, an unknown one for the rest (i % 10 === unknownDigit). */
const identifierOf = (i: number, unknownDigit = 9) => {
  const known = i % 10 !== unknownDigit;
  const n = known ? i : N + i;
  return KIND === 'visitor' ? visitorOf(n) : sha256Hex(emailOf(n));
};

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main() {
  const env = benchEnv();
  const reuse = process.env.BENCH_DATABASE;
  const database = reuse ?? `audx_bench_identity_${env.namespace}`.replace(/[^a-z0-9_]/g, '_');
  const config = IdentityEnvSchema.parse({ NODE_ENV: 'test', MYSQL_URL: env.mysqlUrl });
  const dataSource = await openSchema({ url: env.mysqlUrl, database, poolSize: 4, entities: [], migrations });
  const logger = pino({ level: 'info' });
  // the parts of ServiceRuntime the feature classes use: the schema and transactions with an outbox
  const runtime = {
    dataSource,
    backlog: new ConsumerBacklog(),
    transaction: <R>(work: (m: EntityManager, o: OutboxWriter) => Promise<R>) =>
      dataSource.transaction(async (m) => {
        const outbox = new OutboxWriter(m, 'bench');
        const value = await work(m, outbox);
        await outbox.flush();
        return value;
      }),
  } as unknown as ServiceRuntime;
  const imports = new ImportsRepository();
  const lists = new ListsRepository();
  const changes = new ChangeLog(runtime, new ChangeLogRepository(), config, logger);
  const dataSources = new DataSourcesService(runtime, new DataSourcesRepository(AtRestCipher.fromKeyMaterial(config.DATA_SOURCE_KEY_ENCRYPTION_KEY)), changes, config, logger);
  const work = new ImportApplyRepository();
  const stager = new ImportStager(imports, dataSources, work, logger);
  const applier = new ImportApplier(runtime, imports, lists, work, changes, config, logger, new Metrics('bench'));
  // the snapshot is measured here; streaming it to Kafka is the sender's job, measured end to end
  const exportsService = new ExportsService(runtime, lists, new ExportsRepository(), new SharesRepository(), new ShareRequestsRepository(), new ShareRequestSignal(), { wake: () => undefined } as unknown as ExportSender, changes, dataSources, config, logger, new Metrics('bench'));
  log(`identity bench: ${N} members (${Math.round(N * MATCH_RATE)} known) against ${N} recipients, kind ${KIND}, database ${database}`);
  try {
    if (reuse) {
      for (const t of ['import_chunks', 'import_segments', 'import_rows', 'import_matches', 'import_unmatched', 'imports', 'list_members', 'lists', 'exports', 'export_chunks', 'share_baselines', 'share_members', 'share_targets', 'share_changes', 'share_clock', 'outbox']) await dataSource.query(`TRUNCATE TABLE ${t}`);
      await dataSource.query('DROP TABLE IF EXISTS base_ids, base_members');
      log(`reusing the recipients and links of ${database}`);
    } else {
      await seed(runtime, config, changes);
    }
    if (KIND === 'emailSha') {
      await dataSources.put(ORG, 'bench', { label: 'bench', kind: 'declared', reconciliationKey: 'email', dpid: 1, hash: 'sha256', priority: 0, exportControls: [] });
    }
    const dsName = KIND === 'visitor' ? 'defaultDataSource' : 'bench';
    await dataSources.ensureDefault(ORG);

    // the import, staged chunk by chunk as the consumer does (CHUNKS_PER_TX chunks per transaction)
    const runImport = async (label: string, sequence: number, unknownDigit: number) => {
      const chunks = Math.ceil(N / CHUNK);
      const importId = `bench-${label}-${Date.now()}`;
      const stageSecs = await timed(async () => {
        for (let c = 0; c < chunks; c += CHUNKS_PER_TX) {
          await dataSource.transaction(async (m) => {
            const outbox = new OutboxWriter(m, 'bench');
            for (let k = c; k < Math.min(chunks, c + CHUNKS_PER_TX); k++) await stager.stage(m, outbox, ORG, chunk(importId, dsName, k, chunks, sequence, unknownDigit), true);
            await outbox.flush();
          });
        }
      });
      report(`identity.${label}.stageChunks`, { members: N, chunks, seconds: stageSecs, membersPerSecond: Math.round(N / stageSecs) });
      const [{ import_pk: importPk }] = await dataSource.query('SELECT import_pk FROM imports WHERE import_id = ?', [importId]);
      const applySecs = await timed(() => applier.apply(String(importPk)));
      const [{ matched, result }] = await dataSource.query('SELECT matched, result FROM imports WHERE import_pk = ?', [importPk]);
      const { added, removed, size } = (JSON.parse(result) as { lists: { added: number; removed: number; size: number }[] }).lists[0];
      report(`identity.${label}.applyImport`, {
        identifiers: N,
        matched: Number(matched),
        added,
        removed,
        size,
        seconds: applySecs,
        identifiersResolvedPerSecond: Math.round(N / applySecs),
        membersWrittenPerSecond: Math.round((added + removed) / applySecs),
      });
      report(`identity.${label}.endToEnd`, { members: N, seconds: stageSecs + applySecs, membersPerSecond: Math.round(N / (stageSecs + applySecs)) });
      return added;
    };
    // a new list of 0.9 N members; later a full replacement with 10 % churn (0.1 N in, 0.1 N out)
    const written = await runImport('firstImport', 1, 9);

    await baseline(dataSource);

    const [{ list_id: listId }] = await dataSource.query('SELECT list_id FROM lists WHERE org_id = ? AND segment_id = ?', [ORG, '24']);
    const exportSecs = await timed(() => exportsService.shareNow(ORG, listId, { dataSource: dsName, mode: 'full' }));
    report('identity.shareList', { members: written, seconds: exportSecs, membersPerSecond: Math.round(written / exportSecs) });

    await runImport('fullReplacement', 2, 4);
  } finally {
    if (process.env.AUDX_KEEP_TEST_STATE !== '1' && !reuse) await dataSource.query(`DROP DATABASE \`${database}\``);
    await dataSource.destroy();
  }
}

function chunk(importId: string, dataSource: string, seq: number, chunks: number, sequence: number, unknownDigit: number): SegmentImported {
  const members: SegmentImported['members'] = [];
  for (let i = seq * CHUNK; i < Math.min(N, (seq + 1) * CHUNK); i++) members.push({ userId: identifierOf(i, unknownDigit), add: ['24'], remove: [] });
  return {
    importId,
    sequence,
    dataSource,
    mode: 'full',
    seq,
    last: seq === chunks - 1,
    segments: [{ segmentId: '24', labels: ['C5'] }],
    members,
    ...(seq === chunks - 1 ? { totals: { chunks, members: N, invalidIds: 0 } } : {}),
  };
}

/** NDJSON lines, generated on demand as a stream of Buffers (what a request body is). */
function ndjsonStream(count: number, line: (i: number) => unknown): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i >= count) return this.push(null);
      const lines: string[] = [];
      for (let k = 0; k < 2000 && i < count; k++, i++) lines.push(JSON.stringify(line(i)));
      this.push(Buffer.from(`${lines.join('\n')}\n`));
    },
  });
}

/**
 * N recipients through RecipientsService.upsertStream (the body of POST /v1/recipients: line
 * splitting, JSON, schema, normalisation, hashing, multi-row upserts) and, for the visitor kind,
 * N links through VisitorsService.linkStream (POST /v1/visitors). Only HTTP and auth are left out.
 */
async function seed(runtime: ServiceRuntime, config: IdentityConfig, changes: ChangeLog): Promise<void> {
  const recipients = new RecipientsService(runtime, new RecipientsRepository(), new ListsRepository(), new VisitorsRepository(), new ImportsRepository(), changes, config);
  let upserted = 0;
  const recipientSecs = await timed(async () => {
    const report = await recipients.upsertStream(
      ORG,
      ndjsonStream(N, (k) => ({ recipientId: `rcp-${k}`, email: emailOf(k), crmId: `CRM-${k}`, attributes: { tier: k % 3 === 0 ? 'gold' : 'silver' } })),
    );
    upserted = report.written;
  });
  report('identity.upsertRecipients', { lines: N, upserted, seconds: recipientSecs, linesPerSecond: Math.round(N / recipientSecs) });
  if (KIND !== 'visitor') return;
  const visitors = new VisitorsService(runtime, new VisitorsRepository(), changes, config);
  let linked = 0;
  const linkSecs = await timed(async () => {
    linked = (await visitors.linkStream(ORG, ndjsonStream(N, (k) => ({ visitorId: visitorOf(k), recipientId: `rcp-${k}` })))).written;
  });
  report('identity.linkVisitors', { lines: N, linked, seconds: linkSecs, linesPerSecond: Math.round(N / linkSecs) });
}

/** The same identifiers, loaded raw and joined to the same recipients in one INSERT ... SELECT. */
async function baseline(dataSource: DataSource): Promise<void> {
  await dataSource.query('CREATE TABLE base_ids (user_id VARCHAR(255) NOT NULL PRIMARY KEY) ENGINE=InnoDB');
  await dataSource.query('CREATE TABLE base_members (rid BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB');
  const runner = dataSource.createQueryRunner();
  try {
    const conn = (await runner.connect()) as { query: (o: unknown, cb: (err: unknown) => void) => void };
    const loadSecs = await timed(
      () =>
        new Promise<void>((resolve, reject) => {
          let i = 0;
          const stream = new Readable({
            read() {
              if (i >= N) return this.push(null);
              const lines: string[] = [];
              for (let k = 0; k < 10000 && i < N; k++, i++) lines.push(identifierOf(i));
              this.push(Buffer.from(lines.join('\n') + '\n'));
            },
          });
          conn.query({ sql: "LOAD DATA LOCAL INFILE 'ids' INTO TABLE base_ids (user_id)", infileStreamFactory: () => stream }, (err) => (err ? reject(err) : resolve()));
        }),
    );
    const join =
      KIND === 'visitor'
        ? `INSERT IGNORE INTO base_members (rid) SELECT r.rid FROM base_ids s
           JOIN visitors v ON v.org_id = ? AND v.visitor_id = s.user_id
           JOIN recipients r ON r.org_id = v.org_id AND r.recipient_id = v.recipient_id`
        : `INSERT IGNORE INTO base_members (rid) SELECT r.rid FROM base_ids s
           JOIN recipients r ON r.email_k = ${recipientKeySql('?', 'UNHEX(s.user_id)')} AND r.org_id = ? AND r.email_sha256 = UNHEX(s.user_id)`;
    const joinSecs = await timed(() => runner.query(join, KIND === 'visitor' ? [ORG] : [ORG, ORG]));
    const [{ n }] = await runner.query('SELECT COUNT(*) AS n FROM base_members');
    report('identity.baseline', {
      identifiers: N,
      matched: Number(n),
      loadSeconds: loadSecs,
      joinSeconds: joinSecs,
      seconds: loadSecs + joinSecs,
      identifiersResolvedPerSecond: Math.round(N / (loadSecs + joinSecs)),
      membersWrittenPerSecond: Math.round(Number(n) / (loadSecs + joinSecs)),
    });
  } finally {
    await runner.release();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
