import { randomBytes } from 'node:crypto';
import type { GateError } from '../errors/gate-error.js';
import type { ErrorFields } from '../wire/backend-decoders.js';

/**
 * A refused statement is not dropped: the gate sends the server, in its place, a bare word
 * that fails to parse (42601 "syntax error at or near <token>"), or a Bind of a statement
 * named by the token (26000 "prepared statement <token> does not exist"), and swaps that
 * error for the refusal on its way back. The server so does what it does for any failing statement: the
 * error arrives in order, a transaction block is aborted, and an extended-query pipeline
 * skips to its Sync. The token carries a per-session random part, so a client cannot forge
 * another statement's refusal.
 */
export class RefusalSubstitutes {
  private readonly prefix = `portcullis_refused_${randomBytes(8).toString('hex')}_`;
  private readonly pending = new Map<string, { error: GateError; group: number }>();
  private counter = 0;

  /** True while some refusal awaits its error from the server. */
  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Records error and returns the SQL to send instead. group is the sequence number of the
   * ReadyForQuery that will close the refused statement's query or Sync.
   */
  substitute(error: GateError, group: number): string {
    const token = `${this.prefix}${this.counter++}`;
    this.pending.set(token, { error, group });
    return token;
  }

  /** The refusal an ErrorResponse from the server stands for, if it is a substitute's. */
  match(fields: ErrorFields): GateError | undefined {
    const start = fields.message.indexOf(this.prefix);
    if (start < 0) return undefined;

    const token = /^[a-z0-9_]+/.exec(fields.message.slice(start))?.[0] ?? '';
    const entry = this.pending.get(token);
    this.pending.delete(token);
    return entry?.error;
  }

  /**
   * ReadyForQuery number `group` arrived: substitutes of that group or older that produced no
   * error were skipped by the server after an earlier error, and are forgotten.
   */
  readyForQuery(group: number): void {
    for (const [token, entry] of this.pending) {
      if (entry.group <= group) this.pending.delete(token);
    }
  }
}
