import type { LabelSelector } from '@portcullis/crds';

type Requirement = NonNullable<LabelSelector['matchExpressions']>[number];

function requirements(selector: LabelSelector): Requirement[] {
  const fromLabels = Object.entries(selector.matchLabels ?? {}).map(
    ([key, value]): Requirement => ({ key, operator: 'In', values: [value] }),
  );
  return [...fromLabels, ...(selector.matchExpressions ?? [])];
}

/**
 * True when some set of labels satisfies both selectors, that is when a pod could exist that
 * both select, whether or not one exists now. Label keys are independent, so this holds
 * exactly when, for every key, the requirements both place on it can be met together:
 * either by leaving the label off, or by some value in every In set and no NotIn set.
 */
export function selectorsIntersect(a: LabelSelector, b: LabelSelector): boolean {
  const byKey = new Map<string, Requirement[]>();
  for (const r of [...requirements(a), ...requirements(b)]) {
    byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  }
  return [...byKey.values()].every(keySatisfiable);
}

function keySatisfiable(reqs: Requirement[]): boolean {
  let mustExist = false;
  let mustBeAbsent = false;
  let allowed: Set<string> | undefined; // undefined: any value
  const excluded = new Set<string>();

  for (const r of reqs) {
    const values = r.values ?? [];
    if (r.operator === 'In') {
      mustExist = true;
      allowed = new Set(values.filter((v) => allowed === undefined || allowed.has(v)));
    } else if (r.operator === 'NotIn') {
      for (const v of values) excluded.add(v);
    } else if (r.operator === 'Exists') {
      mustExist = true;
    } else {
      mustBeAbsent = true;
    }
  }

  const canBeAbsent = !mustExist;
  // With no In set the value is free, and there are always values outside a finite NotIn.
  const canHaveValue =
    !mustBeAbsent && (allowed === undefined || [...allowed].some((v) => !excluded.has(v)));
  return canBeAbsent || canHaveValue;
}
