import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { failureOf } from '../api-client';
import type { CliContext } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { mib, percent, table } from '../output';
import { waitUntil } from '../wait';

interface ImportView {
  importId: string;
  status: string;
  dataSource: string;
  fileName: string | null;
  receipt: Record<string, unknown> & { recordsReceived?: number };
  reconciliation: { matched: number; unmatched: number; invalid: number; matchRate: number | null; lists: { listId: string; segmentId: string; size: number; added: number; removed: number }[] } | null;
  errors: { line: number; reason: string }[];
  policyViolations: unknown[];
  failureReason: string | null;
  createdAt: string;
}

const ENDED = ['completed', 'failed', 'rejected'];

function contentTypeOf(file: string): string {
  if (/\.gz$/i.test(file)) return 'application/gzip';
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'application/x-ndjson';
  return 'text/plain';
}

export interface ImportOptions {
  dataSource?: string;
  format?: string;
  mode?: string;
  wait: boolean;
  timeout: string;
}

/** `audx import <file>`: streams the file (a bar on bytes sent), then waits for reconciliation and prints the receipt. */
export async function importFile(ctx: CliContext, file: string, o: ImportOptions): Promise<void> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new CliError(`no file ${file}`, ExitCode.usage, 'give the path of a segment file (AAM outbound or inbound, NDJSON; plain or .gz)');
  const size = fs.statSync(file).size;
  const query = new URLSearchParams({ fileName: path.basename(file) });
  if (o.dataSource) query.set('dataSource', o.dataSource);
  if (o.format) query.set('format', o.format);
  if (o.mode) query.set('mode', o.mode);

  const upload = ctx.out.bar(`uploading  [{bar}] {percentage}% | {sent} of {total}`);
  upload?.start(size, 0, { sent: mib(0), total: mib(size) });
  let sent = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      upload?.update(sent, { sent: mib(sent) });
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(fs.createReadStream(file).pipe(counting)) as ReadableStream<Uint8Array>;
  const res = await ctx.api.raw(`${ctx.urls.ingestion}/v1/imports?${query}`, {
    method: 'POST',
    headers: { 'content-type': contentTypeOf(file), 'content-length': String(size) },
    body,
    duplex: 'half',
  } as RequestInit);
  upload?.stop();
  if (!res.ok) throw await failureOf(`import of ${path.basename(file)} refused`, res);
  const accepted = (await res.json()) as Pick<ImportView, 'importId' | 'status'>;
  ctx.out.note(`import ${accepted.importId}: every line handed on (${accepted.status})`);
  if (!o.wait) return ctx.out.result(accepted, () => `${accepted.importId} ${accepted.status}`);

  const reconcile = ctx.out.bar(`reconciling [{bar}] {status} | {elapsed}s`);
  const started = Date.now();
  reconcile?.start(1, 0, { status: accepted.status, elapsed: 0 });
  const view = await waitUntil(
    `import ${accepted.importId}`,
    Number(o.timeout),
    () => ctx.api.json<ImportView>('import', `${ctx.urls.ingestion}/v1/imports/${accepted.importId}`),
    (v) => ENDED.includes(v.status),
    (v) => reconcile?.update(ENDED.includes(v.status) ? 1 : 0, { status: v.status, elapsed: Math.round((Date.now() - started) / 1000) }),
  ).finally(() => reconcile?.stop());
  ctx.out.result(view, () => receiptText(view));
  if (view.status !== 'completed') throw new CliError(`import ${view.importId} ${view.status}${view.failureReason ? `: ${view.failureReason}` : ''}`, ExitCode.jobFailed, 'the receipt above says which lines and which policy; fix the file or the labels and import again');
}

function receiptText(v: ImportView): string {
  const r = v.reconciliation;
  const lines = [
    `Import ${v.importId} of ${v.fileName ?? 'a stream'}: ${v.status}`,
    table(['receipt', 'count'], Object.entries(v.receipt).filter(([, n]) => typeof n === 'number').map(([k, n]) => [k, n as number])),
  ];
  if (r) {
    lines.push(`matched ${r.matched}, unmatched ${r.unmatched}, invalid ${r.invalid}, match rate ${percent(r.matchRate)}`);
    if (r.lists.length) lines.push(table(['list', 'segment', 'size', 'added', 'removed'], r.lists.map((l) => [l.listId, l.segmentId, l.size, l.added, l.removed])));
  }
  if (v.errors.length) lines.push(`line errors (first ${Math.min(10, v.errors.length)} of ${v.errors.length}):\n${v.errors.slice(0, 10).map((e) => `  line ${e.line}: ${e.reason}`).join('\n')}`);
  if (v.policyViolations.length) lines.push(`policy violations: ${JSON.stringify(v.policyViolations)}`);
  return lines.join('\n');
}

export async function listImports(ctx: CliContext, o: { status?: string; limit: string }): Promise<void> {
  const q = new URLSearchParams({ limit: o.limit });
  if (o.status) q.set('status', o.status);
  const page = await ctx.api.json<{ items: ImportView[] }>('imports', `${ctx.urls.ingestion}/v1/imports?${q}`);
  ctx.out.result(page.items, () =>
    table(
      ['import', 'status', 'file', 'data source', 'lines', 'match rate', 'created'],
      page.items.map((i) => [i.importId, i.status, i.fileName, i.dataSource, i.receipt.recordsReceived, percent(i.reconciliation?.matchRate), i.createdAt]),
    ),
  );
}
