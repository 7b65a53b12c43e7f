/** Raised when a person may not decide a request; the message says why. */
export class DecisionRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecisionRefusedError';
  }
}

/** Someone deciding: an OS user in standalone mode, and the groups that user belongs to. */
export interface Decider {
  user: string;
  groups: readonly string[];
}

/**
 * Whether user could be the requester. Identities and OS users are named differently
 * (`system:serviceaccount:shop:web`, `alice@example.com`, `alice`), so any of the usual short
 * forms counts as the same person: a false match refuses a decision, a missed one would let a
 * requester approve their own operation.
 */
export function isRequester(user: string, identity: string): boolean {
  const wanted = user.toLowerCase();
  const full = identity.toLowerCase();
  const forms = [full, full.split(':').at(-1) ?? '', full.split('@')[0] ?? ''];
  return forms.some((form) => form !== '' && form === wanted);
}

/**
 * Throws DecisionRefusedError unless decider may decide a request by identity: never the
 * requester, and only a listed user or a member of a listed group.
 */
export function checkDecider(
  decider: Decider,
  identity: string,
  approvers: { users: readonly string[]; groups: readonly string[] },
): void {
  if (decider.user === '') throw new DecisionRefusedError('the deciding user is unknown');
  if (isRequester(decider.user, identity)) {
    throw new DecisionRefusedError(
      `${decider.user} is the requester (${identity}) and cannot decide their own request`,
    );
  }
  const listed =
    approvers.users.includes(decider.user) ||
    decider.groups.some((group) => approvers.groups.includes(group));
  if (!listed) {
    throw new DecisionRefusedError(
      `${decider.user} is not an approver of this request (users: ${list(approvers.users)}; ` +
        `groups: ${list(approvers.groups)})`,
    );
  }
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}
