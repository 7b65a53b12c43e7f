/**
 * Startup parameters the gate passes on to the server. Anything else a client sends is
 * dropped: `options` could set arbitrary settings at login (such as a role), `replication`
 * would open a replication connection, and `user`/`database` are the gate's to choose.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE
 */
const FORWARDED = new Set([
  'application_name',
  'client_encoding',
  'DateStyle',
  'TimeZone',
  'IntervalStyle',
  'extra_float_digits',
  'search_path',
  'standard_conforming_strings',
]);

/** The startup parameters to send upstream, from those the client sent. */
export function forwardedStartupParameters(
  parameters: Map<string, string>,
): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of parameters) {
    if (FORWARDED.has(name)) forwarded[name] = value;
  }
  return forwarded;
}
