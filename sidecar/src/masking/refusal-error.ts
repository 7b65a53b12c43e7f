import { GateError, SqlState } from '../errors/gate-error.js';
import type { Refusal } from './result-plan.js';

/** The ErrorResponse a masking refusal becomes: 42501, naming the policy and rule. */
export function refusalError(refusal: Refusal): GateError {
  return new GateError({
    sqlstate: SqlState.insufficientPrivilege,
    message: refusal.message,
    hint: 'ask for the plain column (it is masked), or for a policy that allows this',
  });
}
