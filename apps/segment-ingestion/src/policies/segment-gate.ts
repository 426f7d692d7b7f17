import { MarketingActions, PolicyRecord, violatedPolicies } from '@audx/contracts';
import type { PoliciesRepository } from './policies.repository';
import type { SegmentsRepository } from '../segments/segments.repository';

export interface SegmentViolation {
  segmentId: string;
  labels: string[];
  violatedPolicies: string[];
}

export const MAX_SEGMENTS_PER_IMPORT = 10_000;

/**
 * Decides once per segment of an import whether the org's enabled `campaign-import` policies let
 * it in; a violating segment is left out and its violation recorded, the others proceed.
 */
export class SegmentGate {
  private readonly decisions = new Map<string, boolean>();
  readonly labels = new Map<string, string[]>();
  readonly violations: SegmentViolation[] = [];

  private constructor(
    private readonly orgId: string,
    private readonly policies: PolicyRecord[],
    private readonly segments: SegmentsRepository,
  ) {}

  static async open(orgId: string, policies: PoliciesRepository, segments: SegmentsRepository): Promise<SegmentGate> {
    return new SegmentGate(orgId, await policies.enabledFor(orgId, MarketingActions.campaignImport), segments);
  }

  get seen(): number {
    return this.decisions.size;
  }

  /** Decides every segment not seen before (one query for all of them). */
  async decide(segmentIds: Iterable<string>): Promise<void> {
    const unknown = [...new Set(segmentIds)].filter((id) => !this.decisions.has(id));
    if (unknown.length === 0) return;
    const labels = await this.segments.labelsOf(this.orgId, unknown);
    for (const id of unknown) {
      const l = labels.get(id) ?? [];
      const violated = violatedPolicies(this.policies, MarketingActions.campaignImport, l);
      this.decisions.set(id, violated.length === 0);
      this.labels.set(id, l);
      if (violated.length) this.violations.push({ segmentId: id, labels: l, violatedPolicies: violated.map((p) => p.name) });
    }
  }

  allowed(segmentId: string): boolean {
    return this.decisions.get(segmentId) === true;
  }
}
