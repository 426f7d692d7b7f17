import { MarketingActions, PolicyRecord, violatedPolicies } from '@audx/contracts';

/**
 * The governance gate of an export: the enabled `cloud-export` policies violated by the list's
 * labels together with the data source's export controls. Any violation rejects the export.
 */
export function exportViolations(policies: readonly PolicyRecord[], labels: readonly string[], exportControls: readonly string[]): PolicyRecord[] {
  return violatedPolicies(policies, MarketingActions.cloudExport, [...new Set([...labels, ...exportControls])]);
}
