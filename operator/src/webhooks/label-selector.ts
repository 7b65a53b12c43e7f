import type { LabelSelector } from '@portcullis/crds';

type Labels = Record<string, string> | undefined;
type Requirement = NonNullable<LabelSelector['matchExpressions']>[number];

/**
 * Does a label selector select an object with these labels? Kubernetes semantics: every
 * matchLabels entry and every matchExpressions requirement must hold, so an empty selector
 * selects everything.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => requirementHolds(req, have));
}

function requirementHolds(req: Requirement, labels: Record<string, string>): boolean {
  const present = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return present && values.includes(value!);
    case 'NotIn':
      // A missing label satisfies NotIn, as in the API server.
      return !present || !values.includes(value!);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
  }
}

/** Problems the API server itself would report for this selector; empty when it is valid. */
export function labelSelectorProblems(selector: LabelSelector): string[] {
  const problems: string[] = [];
  for (const [i, req] of (selector.matchExpressions ?? []).entries()) {
    const count = req.values?.length ?? 0;
    const where = `matchExpressions[${i}] (${req.key} ${req.operator})`;
    if ((req.operator === 'In' || req.operator === 'NotIn') && count === 0) {
      problems.push(`${where}: values must not be empty`);
    }
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && count > 0) {
      problems.push(`${where}: values must be empty`);
    }
  }
  return problems;
}
