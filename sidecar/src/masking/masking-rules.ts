import type { Masking, MaskingRule, MaskStrategy } from '@portcullis/crds';

/** A masking rule with its place in the policy, which names it in refusals and metrics. */
export interface IndexedRule {
  index: number;
  rule: MaskingRule;
  /** `masking.rules[2] (classification email)`: how logs, errors and metrics name it. */
  label: string;
}

/** The policy's masking rules, labelled. */
export function indexRules(masking: Masking): IndexedRule[] {
  return masking.rules.map((rule, index) => ({
    index,
    rule,
    label:
      rule.classification !== undefined
        ? `masking.rules[${index}] (classification ${rule.classification})`
        : `masking.rules[${index}] (detector ${rule.detector ?? '?'})`,
  }));
}

/** The first classification rule (policy order) covering any of these kinds. */
export function ruleForKinds(
  rules: readonly IndexedRule[],
  kinds: ReadonlySet<string>,
): IndexedRule | undefined {
  return rules.find((r) => r.rule.classification !== undefined && kinds.has(r.rule.classification));
}

/**
 * The strategy for a value computed from a classified column: partial would keep the "last
 * four" of something that is not the original value (the last four of `substr(card, 1, 12)`
 * are digits 9-12), so it becomes redact; the others apply as they are.
 */
export function derivedStrategy(strategy: MaskStrategy): MaskStrategy {
  return strategy === 'partial' ? 'redact' : strategy;
}
