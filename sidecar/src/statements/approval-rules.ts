import type { AccessPolicy } from '@portcullis/crds';
import { tableMatches } from './name-matching.js';
import type { StatementInfo, Verdict } from './statement-info.js';

type ApprovalRule = NonNullable<AccessPolicy['spec']['approval']>['rules'][number];

function classesMatch({ classes }: ApprovalRule, info: StatementInfo): boolean {
  return classes === undefined || info.classes.some((c) => classes.includes(c));
}

function tablesMatch({ tables }: ApprovalRule, info: StatementInfo): boolean {
  if (tables === undefined) return true;
  return info.access.some((a) => tables.some((t) => tableMatches(t, a, 'restrict')));
}

/**
 * The approval a statement needs before it runs, or undefined. A rule with rowsOver is not
 * matched here: its classes and tables only say which results the row threshold watches.
 */
export function approvalFor(policy: AccessPolicy, info: StatementInfo): Verdict | undefined {
  const rules = policy.spec.approval?.rules ?? [];
  for (const [i, rule] of rules.entries()) {
    if (rule.rowsOver !== undefined) continue;
    if (!classesMatch(rule, info) || !tablesMatch(rule, info)) continue;
    const on = info.tables.written[0] ?? info.tables.read[0];
    const reason = `${info.class}${on === undefined ? '' : ` on ${on}`} needs approval`;
    return { action: 'approve', rule: `approval.rules[${i}]`, reason };
  }
  return undefined;
}

/** A result size past which the session holds the rows for a human. */
export interface RowThreshold {
  rowsOver: number;
  rule: string;
}

/**
 * The smallest rowsOver among the approval rules that watch these statements (a rule's
 * classes and tables, when set, must match one of them), or undefined when none does. The
 * session delivers that many rows, then holds the rest until someone approves.
 */
export function rowThreshold(
  policy: AccessPolicy,
  statements: readonly StatementInfo[],
): RowThreshold | undefined {
  let best: RowThreshold | undefined;
  for (const [i, rule] of (policy.spec.approval?.rules ?? []).entries()) {
    if (rule.rowsOver === undefined) continue;
    if (!statements.some((info) => classesMatch(rule, info) && tablesMatch(rule, info))) continue;
    if (best === undefined || rule.rowsOver < best.rowsOver) {
      best = { rowsOver: rule.rowsOver, rule: `approval.rules[${i}]` };
    }
  }
  return best;
}
