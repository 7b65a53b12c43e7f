import type { AccessPolicy, StatementClass } from '@portcullis/crds';
import type { Verdict } from './statement-info.js';

/** How messages name a class of statements. */
export const CLASS_WORDS: Record<StatementClass, string> = {
  read: 'reads',
  insert: 'INSERT',
  update: 'UPDATE',
  delete: 'DELETE',
  merge: 'MERGE',
  ddl: 'DDL',
  truncate: 'TRUNCATE',
  'copy-in': 'COPY FROM STDIN',
  'copy-out': 'COPY TO STDOUT',
  'copy-program': 'COPY to or from a program or a server file',
  grant: 'GRANT and REVOKE',
  role: 'role changes',
  procedural: 'procedural code (DO, CALL)',
  transaction: 'transaction control',
  session: 'session commands',
  listen: 'LISTEN',
  notify: 'NOTIFY',
  utility: 'utility commands',
};

/** namespace/name of a policy, as messages and recordings name it. */
export function policyName(policy: AccessPolicy): string {
  const { namespace, name } = policy.metadata;
  return namespace === undefined ? name : `${namespace}/${name}`;
}

/** A refusal whose message names the policy, what it refuses and the rule. */
export function refusal(
  policy: AccessPolicy,
  rule: string,
  what: string,
  sqlstate?: string,
): Verdict {
  const message = `Portcullis policy "${policyName(policy)}" refuses ${what} (rule ${rule})`;
  return sqlstate === undefined
    ? { action: 'refuse', rule, message }
    : { action: 'refuse', rule, message, sqlstate };
}
