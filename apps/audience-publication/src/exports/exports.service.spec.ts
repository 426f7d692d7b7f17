import { audienceIdOf } from '../audiences/audience-identity';
import type { ExportRow } from './export.row';
import type { ExportsRepository } from './exports.repository';
import { ExportsService } from './exports.service';
import type { ShareRecord } from '@audx/contracts';
import type { ShareLookup } from './share-lookup';

const ORG = 'ABCDEF0123456789ABCDEF01@AdobeOrg';
const caller = { authorization: 'Bearer t', 'x-api-key': 'c', 'x-gw-ims-org-id': ORG };
const share: ShareRecord = {
  status: 'emitted',
  exportId: 'exp_1',
  listId: 'lst_1',
  dataSource: 'defaultDataSource',
  segmentId: '24',
  audienceName: 'Pricing',
  mode: 'incremental',
  chunks: 3,
  members: 10,
  withIdentifier: 8,
  complement: 1,
  blocked: 1,
  createdAt: '2026-12-03T10:00:00.000Z',
};

function service(stored: Array<ExportRow | null>, found: ShareRecord | null) {
  const finds = [...stored];
  const repo = { find: jest.fn(async () => finds.shift() ?? null) } as unknown as ExportsRepository;
  const lookup = { find: jest.fn(async () => found) } as unknown as ShareLookup;
  return { sut: new ExportsService(repo, lookup), lookup };
}

describe('ExportsService.get', () => {
  it('answers receiving, with the share totals, for an export whose first chunk is still on its way', async () => {
    const { sut, lookup } = service([null, null], share);
    expect(await sut.get(ORG, 'exp_1', caller)).toMatchObject({
      exportId: 'exp_1',
      status: 'receiving',
      audienceId: audienceIdOf({ orgId: ORG, dataSource: 'defaultDataSource', segmentId: '24', audienceName: 'Pricing', listId: 'lst_1' }),
      version: null,
      members: 10,
      withIdentifier: 8,
      complement: 1,
      blocked: 1,
      chunks: { received: 0, expected: 3 },
    });
    expect(lookup.find).toHaveBeenCalledWith('exp_1', caller);
  });

  it('answers preparing for a share asked for and not made yet, and failed with the reason for one that could not be made', async () => {
    const preparing = service([null, null], { ...share, status: 'preparing', chunks: 0, members: 0, withIdentifier: 0, complement: 0, blocked: 0 });
    expect(await preparing.sut.get(ORG, 'exp_1', caller)).toMatchObject({ status: 'preparing', version: null, error: null, chunks: { received: 0, expected: 0 } });
    const failed = service([null, null], { ...share, status: 'failed', failure: 'list not found' });
    expect(await failed.sut.get(ORG, 'exp_1', caller)).toMatchObject({ status: 'failed', error: 'list not found' });
    // an identity-reconciliation that predates the status: the share was emitted
    const { status: _omitted, ...older } = share;
    expect(await service([null, null], older).sut.get(ORG, 'exp_1', caller)).toMatchObject({ status: 'receiving' });
  });

  it('answers 404 when identity-reconciliation knows no such share of the org (or cannot say)', async () => {
    const { sut } = service([null], null);
    await expect(sut.get(ORG, 'exp_x', caller)).rejects.toMatchObject({ status: 404 });
  });

  it('never asks about an id too long to exist', async () => {
    const { sut, lookup } = service([], share);
    await expect(sut.get(ORG, 'x'.repeat(192), caller)).rejects.toMatchObject({ status: 404 });
    expect(lookup.find).not.toHaveBeenCalled();
  });
});
