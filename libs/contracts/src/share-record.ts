/**
 * A share as identity-reconciliation recorded it when it emitted the `list.exported` chunks:
 * `GET /v1/shares/{exportId}` there. audience-publication asks it to tell an export whose first
 * chunk has not arrived yet from one that does not exist.
 */
export interface ShareRecord {
  exportId: string;
  listId: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
  mode: string;
  chunks: number;
  members: number;
  withIdentifier: number;
  complement: number;
  blocked: number;
  createdAt: string;
}
