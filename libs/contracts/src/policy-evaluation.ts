import type { DenyExpression } from './payloads/replicated';

export interface PolicyRecord {
  name: string;
  marketingAction: string;
  status: 'ENABLED' | 'DRAFT';
  deny: DenyExpression;
}

/** True when the labels satisfy the deny expression (the policy is violated). Case-sensitive labels. */
export function denies(expr: DenyExpression, labels: ReadonlySet<string>): boolean {
  if ('label' in expr) return labels.has(expr.label);
  return expr.operator === 'AND' ? expr.operands.every((o) => denies(o, labels)) : expr.operands.some((o) => denies(o, labels));
}

/** The enabled policies of `marketingAction` that `labels` violate, by name. */
export function violatedPolicies(policies: readonly PolicyRecord[], marketingAction: string, labels: readonly string[]): PolicyRecord[] {
  const set = new Set(labels);
  return policies.filter((p) => p.status === 'ENABLED' && p.marketingAction === marketingAction && denies(p.deny, set));
}

/** The marketing actions of the two gates (system.md). */
export const MarketingActions = { campaignImport: 'campaign-import', cloudExport: 'cloud-export' } as const;
