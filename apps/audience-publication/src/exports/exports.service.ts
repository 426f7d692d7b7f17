import { Inject, Injectable } from '@nestjs/common';
import type { ShareRecord } from '@audx/contracts';
import { Errors, newestFirstPage, queryText, queryTime } from '@audx/platform';
import { audienceIdOf } from '../audiences/audience-identity';
import { EXPORT_STATUSES, ExportRow, ExportStatus } from './export.row';
import { ExportFilter, ExportsRepository } from './exports.repository';
import { CallerHeaders, ShareLookup } from './share-lookup';

/** What `GET /v1/exports/{exportId}` answers: the full account of one share. */
export function exportView(e: ExportRow) {
  return {
    exportId: e.exportId,
    listId: e.listId,
    dataSource: e.dataSource,
    mode: e.mode,
    status: e.status,
    audienceId: e.audienceId,
    version: e.status === 'published' ? e.version : null,
    members: e.members,
    withIdentifier: e.withIdentifier,
    complement: e.complement,
    blocked: e.blocked,
    identifiers: e.stagedIdentifiers,
    invalidIdentifiers: e.invalidIdentifiers,
    size: e.size,
    added: e.added,
    removed: e.removed,
    policyViolations: e.policyViolations,
    chunks: { received: e.receivedChunks, expected: e.chunks },
    error: e.error,
    createdAt: e.createdAt,
    finishedAt: e.finishedAt,
  };
}

/** An export identity-reconciliation is still making (preparing), could not make (failed), or whose first chunk is on its way (receiving). */
export function pendingExportView(orgId: string, s: ShareRecord) {
  return {
    exportId: s.exportId,
    listId: s.listId,
    dataSource: s.dataSource,
    mode: s.mode,
    // asked for and not made yet, made and on its way, or given up by identity-reconciliation
    status: s.status === 'preparing' ? ('preparing' as const) : s.status === 'failed' ? ('failed' as const) : ('receiving' as const),
    audienceId: audienceIdOf({ orgId, dataSource: s.dataSource, segmentId: s.segmentId, audienceName: s.audienceName, listId: s.listId }),
    version: null,
    members: s.members,
    withIdentifier: s.withIdentifier,
    complement: s.complement,
    blocked: s.blocked,
    identifiers: 0,
    invalidIdentifiers: 0,
    size: null,
    added: null,
    removed: null,
    policyViolations: [],
    chunks: { received: 0, expected: s.chunks },
    error: s.status === 'failed' ? (s.failure ?? 'the share could not be made') : null,
    createdAt: s.createdAt,
    finishedAt: null,
  };
}

/** The query of `GET /v1/exports`, as received. */
export interface ExportQuery {
  status?: unknown;
  listId?: unknown;
  audienceId?: unknown;
  createdAfter?: unknown;
  createdBefore?: unknown;
}

/** Checks a query field by field: a repeated, empty or malformed one is a 400 that names it. */
export function exportFilter(q: ExportQuery): ExportFilter {
  const status = queryText('status', q.status, 20);
  if (status !== undefined && !(EXPORT_STATUSES as readonly string[]).includes(status)) throw Errors.badRequest(`status: one of ${EXPORT_STATUSES.join(', ')}`);
  return {
    status: status as ExportStatus | undefined,
    listId: queryText('listId', q.listId, 191),
    audienceId: queryText('audienceId', q.audienceId, 191),
    createdAfter: queryTime('createdAfter', q.createdAfter),
    createdBefore: queryTime('createdBefore', q.createdBefore),
  };
}

@Injectable()
export class ExportsService {
  constructor(
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(ShareLookup) private readonly shares: ShareLookup,
  ) {}

  /**
   * The org's exports that reached publication (their first chunk arrived), newest first, with
   * cursor paging. A share still being made, or that identity-reconciliation could not make, is
   * found by its id (`GET /v1/exports/{exportId}`).
   */
  async list(orgId: string, query: ExportQuery, after?: unknown, limit?: unknown) {
    const filter = exportFilter(query);
    return newestFirstPage(after, limit, (e: ExportRow) => e.exportPk, (before, take) => this.exports.page(orgId, filter, before, take), exportView);
  }

  /** `POST /v1/exports/{exportId}/complement`: the list is made by identity-reconciliation, which holds the lists. */
  async complement(exportId: string, caller: CallerHeaders) {
    if (exportId.length > 191) throw Errors.notFound(`export ${exportId}`);
    return this.shares.complement(exportId, caller);
  }

  async get(orgId: string, exportId: string, caller: CallerHeaders) {
    if (exportId.length > 191) throw Errors.notFound(`export ${exportId}`);
    const e = await this.exports.find(orgId, exportId);
    if (e) return exportView(e);
    const share = await this.shares.find(exportId, caller);
    // the first chunk may have landed while identity-reconciliation answered
    const arrived = share ? await this.exports.find(orgId, exportId) : null;
    if (arrived) return exportView(arrived);
    if (share) return pendingExportView(orgId, share);
    throw Errors.notFound(`export ${exportId}`);
  }
}
