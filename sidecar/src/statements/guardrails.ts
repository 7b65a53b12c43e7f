import { DEFAULT_ALLOWED_CLASSES, type AccessPolicy, type StatementClass } from '@portcullis/crds';
import { dangerousFunction } from './dangerous-functions.js';
import { functionPattern, tableMatches } from './name-matching.js';
import { CLASS_WORDS, refusal } from './refusal-message.js';
import { ALLOW, type StatementInfo, type TableAccess, type Verdict } from './statement-info.js';

/**
 * What an access also is, for a table's deny list: COPY TO reads the table and COPY FROM
 * inserts into it, so `deny: [read]` holds against COPY ... TO STDOUT as well.
 */
function impliedClasses(access: TableAccess): StatementClass[] {
  switch (access.class) {
    case 'copy-out':
      return ['read'];
    case 'copy-in':
      return ['insert'];
    case 'copy-program':
      return [access.written ? 'insert' : 'read'];
    default:
      return [];
  }
}

/** Checks one statement against a policy's guardrails; allow or refuse, never approve. */
export type GuardrailCheck = (info: StatementInfo) => Verdict;

/**
 * Compiles a policy's guardrails into a check. The order of the checks decides which rule a
 * refusal names when several apply: denied classes, table rules, allowed classes,
 * requireWhere, then functions.
 */
export function compileGuardrails(policy: AccessPolicy): GuardrailCheck {
  const g = policy.spec.guardrails;
  const allowed = new Set<StatementClass>(g.allow ?? DEFAULT_ALLOWED_CLASSES);
  const allowSource = g.allow === undefined ? 'the default allow list' : 'guardrails.allow';
  const denyFunctions = g.denyFunctions.map((p) => ({ pattern: p, test: functionPattern(p) }));
  const allowFunctions = g.allowFunctions.map(functionPattern);

  const checkClasses = (info: StatementInfo): Verdict => {
    for (const c of info.classes) {
      if (g.deny.includes(c)) return refusal(policy, `guardrails.deny[${c}]`, CLASS_WORDS[c]);
    }
    for (const access of info.access) {
      const verdict = checkTableRules(access);
      if (verdict.action !== 'allow') return verdict;
    }
    for (const c of info.classes) {
      if (allowed.has(c) || tablesAllow(info.access, c)) continue;
      const what = `${CLASS_WORDS[c]}: ${c} is not in ${allowSource}`;
      return refusal(policy, 'guardrails.allow', what);
    }
    return ALLOW;
  };

  const checkTableRules = (access: TableAccess): Verdict => {
    for (const rule of g.tables) {
      if (!tableMatches(rule.table, access, 'restrict')) continue;
      const c = access.class;
      const on = `${CLASS_WORDS[c]} on ${rule.table}`;
      const denied = [c, ...impliedClasses(access)].find((d) => rule.deny?.includes(d) === true);
      if (denied !== undefined) {
        return refusal(policy, `guardrails.tables[${rule.table}].deny[${denied}]`, on);
      }
      if (rule.allow !== undefined && !rule.allow.includes(c)) {
        return refusal(
          policy,
          `guardrails.tables[${rule.table}].allow`,
          `${on}: not in its allow list`,
        );
      }
    }
    return ALLOW;
  };

  // A class the policy does not allow in general passes when every table it acts on has a
  // rule allowing it there (TRUNCATE of one staging table, say).
  const tablesAllow = (accesses: TableAccess[], c: StatementClass): boolean => {
    const acting = accesses.filter((a) => a.class === c);
    if (acting.length === 0) return false;
    return acting.every((access) =>
      g.tables.some(
        (rule) => rule.allow?.includes(c) === true && tableMatches(rule.table, access, 'permit'),
      ),
    );
  };

  const checkWhere = (info: StatementInfo): Verdict => {
    if (!g.requireWhere) return ALLOW;
    const unfiltered = info.access.find(
      (a) => (a.class === 'update' || a.class === 'delete') && a.where !== true,
    );
    if (unfiltered === undefined) return ALLOW;
    const what = `${CLASS_WORDS[unfiltered.class]} without WHERE on ${unfiltered.table}`;
    return refusal(policy, 'guardrails.requireWhere', what);
  };

  const checkFunction = (name: string, notation: string): Verdict => {
    const denied = denyFunctions.find((d) => d.test(name, 'restrict'));
    if (denied !== undefined) {
      return refusal(
        policy,
        `guardrails.denyFunctions[${denied.pattern}]`,
        `the function ${name}${notation}`,
      );
    }
    const dangerous = dangerousFunction(name);
    if (dangerous === undefined || allowFunctions.some((test) => test(name, 'permit')))
      return ALLOW;
    const base = name.slice(name.lastIndexOf('.') + 1);
    const what = `the function ${name}${notation}, which ${dangerous.why}; a policy must name it in guardrails.allowFunctions`;
    return refusal(policy, `guardrails.functions[${base}]`, what);
  };

  const checkFunctions = (info: StatementInfo): Verdict => {
    for (const name of info.functions) {
      const verdict = checkFunction(name, '');
      if (verdict.action !== 'allow') return verdict;
    }
    for (const name of info.attributeCalls) {
      const verdict = checkFunction(name, ' (called in attribute notation)');
      if (verdict.action !== 'allow') return verdict;
    }
    // None of the built-in dangerous functions takes a row, so `o.lo_total` is a column to
    // them; a function a policy denies may take one.
    for (const name of info.rowCalls) {
      const denied = denyFunctions.find((d) => d.test(name, 'restrict'));
      if (denied === undefined) continue;
      const what = `the function ${name} (called in attribute notation)`;
      return refusal(policy, `guardrails.denyFunctions[${denied.pattern}]`, what);
    }
    return ALLOW;
  };

  return (info) => {
    for (const check of [checkClasses, checkWhere, checkFunctions]) {
      const verdict = check(info);
      if (verdict.action !== 'allow') return verdict;
    }
    return ALLOW;
  };
}
