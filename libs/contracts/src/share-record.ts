/**
 * A share as identity-reconciliation recorded it when it emitted the `list.exported` chunks:
 * `GET /v1/shares/{exportId}` there. audience-publication asks it to tell an export whose first
 * chunk has not arrived yet from one that does not exist.
 */
export interface ShareRecord {
  /**
   * `preparing`: asked for, not made yet (figures 0); `emitted`: its chunks are on list.exported;
   * `failed`: could not be made (`failure` says why). Absent from an older identity-reconciliation: emitted.
   */
  status?: 'preparing' | 'emitted' | 'failed';
  failure?: string;
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
