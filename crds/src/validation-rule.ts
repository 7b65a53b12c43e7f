import type { z } from 'zod';

/** The schema extension the API server reads CEL rules from. */
export const CEL_RULES_KEY = 'x-kubernetes-validations';

/**
 * One entry of `x-kubernetes-validations` as the CRD carries it. `self` is the value the rule
 * sits on; a rule that names `oldSelf` runs only on updates. See
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation-rules
 */
export interface CelValidation {
  rule: string;
  message: string;
  /** Where the API server reports a failure, relative to `self`: `.ttl`, never an index. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired';
}

/** A rule written once: the CEL the API server runs, and the same check for the parser. */
export interface Rule<T> extends CelValidation {
  /** True when the value passes; it sees the parsed value with defaults applied. */
  holds: (self: T) => boolean;
}

/** A rule on an update: the CEL names `oldSelf`, `holds` sees the old value as well. */
export interface TransitionRule<T> extends CelValidation {
  holds: (self: T, oldSelf: T) => boolean;
}

/** One failed rule, with the path (relative to the value the rule sits on) it is reported at. */
export interface RuleFailure {
  path: string[];
  message: string;
}

/**
 * Attaches rules to a schema: zod checks them on parse, and the generator copies their CEL into
 * the CRD. The check is skipped when the value is not even of the schema's type (that problem
 * is already reported), so a parse still reports every other problem below it.
 */
export function withRules<S extends z.ZodType>(schema: S, ...rules: Rule<z.output<S>>[]): S {
  let checked = schema;
  for (const rule of rules) {
    const path = fieldPathSegments(rule.fieldPath);
    checked = checked.superRefine(
      (value, payload) => {
        if (holds(rule, value, payload.issues.length > 0)) return;
        // zod prefixes an issue's path in place as it bubbles up, so each issue gets its own array.
        payload.addIssue({ code: 'custom', message: rule.message, path: [...path] });
      },
      { when: (payload) => !payload.issues.some((i) => isOwnTypeError(i)) },
    );
  }
  return attachCel(checked, schema, rules);
}

/** Attaches update rules: only the API server runs them, and `transitionFailures` for callers. */
export function withTransitionRules<S extends z.ZodType>(
  schema: S,
  ...rules: TransitionRule<z.output<S>>[]
): S {
  return attachCel(schema.meta({ ...schema.meta() }), schema, rules);
}

/** The update rules that fail when a value changes from `oldSelf` to `self`. */
export function transitionFailures<T>(
  rules: readonly TransitionRule<T>[],
  self: T,
  oldSelf: T,
): RuleFailure[] {
  return rules
    .filter((rule) => !rule.holds(self, oldSelf))
    .map((rule) => ({ path: fieldPathSegments(rule.fieldPath), message: rule.message }));
}

/**
 * CEL `==` on two values as they come from JSON: deep, blind to key order and to prototypes,
 * and a key holding undefined counts as absent, as it would once serialized.
 */
export function celEquals(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => celEquals(item, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return a === b;
  }

  const present = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined);
  const left = present(a);
  const right = new Map(present(b));
  return left.length === right.size && left.every(([k, v]) => celEquals(v, right.get(k)));
}

// A rule that throws on a value other checks have already refused (a duration that does not
// parse, say) has nothing to add: that refusal stands on its own. Without another problem, a
// throw is a bug in the rule, and the value fails closed.
function holds<T>(rule: Rule<T>, value: T, refusedAlready: boolean): boolean {
  try {
    return rule.holds(value);
  } catch {
    return refusedAlready;
  }
}

function isOwnTypeError(issue: { code?: string; path?: PropertyKey[] }): boolean {
  return issue.code === 'invalid_type' && (issue.path ?? []).length === 0;
}

function attachCel<S extends z.ZodType>(
  target: S,
  original: S,
  rules: readonly CelValidation[],
): S {
  const previous = (original.meta()?.[CEL_RULES_KEY] as CelValidation[] | undefined) ?? [];
  const added = rules.map(({ rule, message, fieldPath, reason }) => ({
    rule,
    message,
    ...(fieldPath === undefined ? {} : { fieldPath }),
    ...(reason === undefined ? {} : { reason }),
  }));
  return target.meta({ ...target.meta(), [CEL_RULES_KEY]: [...previous, ...added] });
}

function fieldPathSegments(fieldPath: string | undefined): string[] {
  if (fieldPath === undefined) return [];
  if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(fieldPath)) {
    throw new Error(`fieldPath ${fieldPath} must be a chain of .field names`);
  }
  return fieldPath.slice(1).split('.');
}
