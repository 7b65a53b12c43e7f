import { GateError, SqlState } from '../errors/gate-error.js';
import { parserSettingProblem } from '../statements/parser-settings.js';

/**
 * Startup parameters the gate passes on to the server. Anything else a client sends is
 * dropped: `options` could set arbitrary settings at login (such as a role), `replication`
 * would open a replication connection, and `user`/`database` are the gate's to choose.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE
 */
const FORWARDED = new Set([
  'application_name',
  'DateStyle',
  'TimeZone',
  'IntervalStyle',
  'extra_float_digits',
  'search_path',
  'standard_conforming_strings',
]);

// The statement parser reads text as UTF-8. The server is told the same whatever the client
// asked for (psql in a C locale asks for SQL_ASCII): the client learns it from the
// ParameterStatus it receives, as libpq and node-postgres both honour.
const CLIENT_ENCODING = 'UTF8';

/**
 * The startup parameters to send upstream, from those the client sent. Throws FATAL 0A000
 * for a setting that would make the server split statements differently from the gate's
 * parser (standard_conforming_strings off), since the guardrails would then check other
 * statements than the server runs.
 */
export function forwardedStartupParameters(
  parameters: Map<string, string>,
): Record<string, string> {
  const forwarded: Record<string, string> = { client_encoding: CLIENT_ENCODING };
  for (const [name, value] of parameters) {
    if (!FORWARDED.has(name)) continue;
    const problem = parserSettingProblem(name, value);
    if (problem !== undefined) {
      throw new GateError({
        sqlstate: SqlState.featureNotSupported,
        severity: 'FATAL',
        message: `startup parameter refused by Portcullis: ${problem}`,
      });
    }
    forwarded[name] = value;
  }
  return forwarded;
}

/**
 * FATAL 0A000 when the server reports a parser setting the gate does not read statements
 * with (an ALTER ROLE or ALTER DATABASE default, say), else undefined.
 */
export function parameterStatusProblem(name: string, value: string): GateError | undefined {
  const problem = parserSettingProblem(name, value);
  if (problem === undefined) return undefined;
  return new GateError({
    sqlstate: SqlState.featureNotSupported,
    severity: 'FATAL',
    message: `session ended by Portcullis: the server reports ${problem}`,
  });
}
