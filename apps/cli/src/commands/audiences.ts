import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { failureOf } from '../api-client';
import type { CliContext } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { table } from '../output';
import { waitUntil } from '../wait';

interface ListView {
  listId: string;
  name: string;
  origin: string;
  segmentId: string | null;
  dataSource: string | null;
  size: number;
  labels: string[];
  updatedAt: string;
}
interface AudienceView {
  audienceId: string;
  name: string;
  dataSource: string;
  segmentId: string | null;
  version?: number;
  currentVersion?: number;
  size: number;
  lastSharedAt: string | null;
}
interface ExportView {
  exportId: string;
  audienceId: string;
  status: string;
  chunks: number | null;
  receivedChunks: number;
  version: number | null;
  size: number | null;
  added: number | null;
  removed: number | null;
  failureReason?: string | null;
  policyViolations?: unknown[];
}
interface VersionView {
  version: number;
  size: number;
  added: number;
  removed: number;
  publishedAt: string;
  files: { fileName: string }[];
}

const ENDED = ['published', 'rejected', 'superseded', 'failed'];

export async function listLists(ctx: CliContext, o: { name?: string; limit: string }): Promise<void> {
  const q = new URLSearchParams({ limit: o.limit });
  if (o.name) q.set('name', o.name);
  const page = await ctx.api.json<{ items: ListView[] }>('lists', `${ctx.urls.identity}/v1/lists?${q}`);
  ctx.out.result(page.items, () =>
    table(['list', 'name', 'origin', 'segment', 'data source', 'size', 'labels', 'updated'], page.items.map((l) => [l.listId, l.name, l.origin, l.segmentId, l.dataSource, l.size, l.labels.join(','), l.updatedAt])),
  );
}

export interface ShareOptions {
  dataSource: string;
  segmentId?: string;
  audienceName?: string;
  mode: string;
  wait: boolean;
  timeout: string;
}

/** `audx share <listId>`: asks for the share, then follows the export to its version (chunks received as progress). */
export async function share(ctx: CliContext, listId: string, o: ShareOptions): Promise<void> {
  if (!['incremental', 'full'].includes(o.mode)) throw new CliError(`--mode ${o.mode}: incremental or full`, ExitCode.usage);
  const body = { dataSource: o.dataSource, mode: o.mode, ...(o.segmentId ? { segmentId: o.segmentId } : {}), ...(o.audienceName ? { audienceName: o.audienceName } : {}) };
  const { exportId } = await ctx.api.json<{ exportId: string }>(`share of list ${listId}`, `${ctx.urls.identity}/v1/lists/${encodeURIComponent(listId)}/share`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  ctx.out.note(`export ${exportId}: the share is being made`);
  if (!o.wait) return ctx.out.result({ exportId }, () => exportId);
  const bar = ctx.out.bar(`sharing   [{bar}] {status} | chunks {value}/{total}`);
  bar?.start(1, 0, { status: 'requested' });
  const view = await waitUntil(
    `export ${exportId}`,
    Number(o.timeout),
    async () => {
      const res = await ctx.api.raw(`${ctx.urls.publication}/v1/exports/${exportId}`);
      // 404 until the first chunk reaches publication
      if (res.status === 404) return null;
      if (!res.ok) throw await failureOf(`export ${exportId}`, res);
      return (await res.json()) as ExportView;
    },
    (v) => v !== null && ENDED.includes(v.status),
    (v) => {
      if (!v) return;
      bar?.setTotal(Math.max(1, v.chunks ?? v.receivedChunks + 1));
      bar?.update(v.receivedChunks, { status: v.status });
    },
  ).finally(() => bar?.stop());
  const v = view!;
  ctx.out.result(v, () =>
    v.status === 'published'
      ? `Audience ${v.audienceId} version ${v.version}: ${v.size} identifiers (${v.added} added, ${v.removed} removed); export ${v.exportId}`
      : `Export ${v.exportId} ${v.status}${v.failureReason ? `: ${v.failureReason}` : ''}${v.policyViolations?.length ? `\npolicy violations: ${JSON.stringify(v.policyViolations)}` : ''}`,
  );
  if (v.status !== 'published') throw new CliError(`export ${v.exportId} ${v.status}`, ExitCode.jobFailed, v.status === 'superseded' ? 'a later share of the same audience replaced it' : 'see the reason above');
}

export async function listAudiences(ctx: CliContext, o: { limit: string }): Promise<void> {
  const page = await ctx.api.json<{ items: AudienceView[] }>('audiences', `${ctx.urls.publication}/v1/audiences?limit=${encodeURIComponent(o.limit)}`);
  ctx.out.result(page.items, () =>
    table(['audience', 'name', 'data source', 'segment', 'version', 'size', 'last shared'], page.items.map((a) => [a.audienceId, a.name, a.dataSource, a.segmentId, a.version ?? a.currentVersion, a.size, a.lastSharedAt])),
  );
}

/** `audx download <audienceId>`: every file of a version (the latest unless --version), into a folder. */
export async function download(ctx: CliContext, audienceId: string, o: { version?: string; out?: string }): Promise<void> {
  const base = `${ctx.urls.publication}/v1/audiences/${encodeURIComponent(audienceId)}`;
  const versions = await ctx.api.json<VersionView[] | { items: VersionView[] }>(`audience ${audienceId}`, `${base}/versions`);
  const all = Array.isArray(versions) ? versions : versions.items;
  if (all.length === 0) throw new CliError(`audience ${audienceId} has no version yet`, ExitCode.notFound, 'share its list first: audx share <listId> --data-source <name>');
  const wanted = o.version === undefined ? Math.max(...all.map((v) => v.version)) : Number(o.version);
  const v = all.find((x) => x.version === wanted);
  if (!v) throw new CliError(`audience ${audienceId} has no version ${o.version} (versions kept: ${all.map((x) => x.version).join(', ')})`, ExitCode.notFound);
  const dir = path.resolve(o.out ?? `${audienceId}-v${v.version}`);
  fs.mkdirSync(dir, { recursive: true });
  const saved: { fileName: string; path: string; bytes: number }[] = [];
  for (const f of v.files) {
    const res = await ctx.api.raw(`${base}/versions/${v.version}/files/${encodeURIComponent(f.fileName)}`);
    if (!res.ok || !res.body) throw await failureOf(`file ${f.fileName}`, res);
    const target = path.join(dir, path.basename(f.fileName));
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), fs.createWriteStream(target));
    saved.push({ fileName: f.fileName, path: target, bytes: fs.statSync(target).size });
  }
  ctx.out.result({ audienceId, version: v.version, files: saved }, () => [`Audience ${audienceId} version ${v.version} (${v.size} identifiers):`, ...saved.map((s) => `  ${s.path} (${s.bytes} bytes)`)].join('\n'));
}
