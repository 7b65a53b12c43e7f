import type { ClientBase } from 'pg';
import { escapeIdentifier } from 'pg';

/** One role the reaper could not drop, and why. */
export interface ReapFailure {
  role: string;
  error: Error;
}

export interface ReapResult {
  reaped: string[];
  failed: ReapFailure[];
}

export interface ReapOptions {
  /** Roles whose name starts with this; no other role is ever touched. */
  prefix: string;
  /**
   * How long past VALID UNTIL a role is left alone, so a live sidecar ending its own session
   * drops it first (default 60 s).
   */
  graceSeconds?: number;
}

// SQLSTATE 2BP01 dependent_objects_still_exist: the role owns objects or holds privileges.
const DEPENDENT_OBJECTS = '2BP01';
// SQLSTATE 42704 undefined_object: someone (the sidecar) dropped it first.
const UNDEFINED_OBJECT = '42704';

/**
 * Drops minted roles past their expiry (pg_roles.rolvaliduntil, by the server's clock), as
 * left behind by a sidecar that died: terminate their backends, drop the role, and if it
 * owns objects reassign them to the minter and drop its remaining privileges first. Never
 * touches the minter itself, superusers, or roles without the prefix.
 */
export async function reapExpiredRoles(
  client: ClientBase,
  options: ReapOptions,
): Promise<ReapResult> {
  const expired = await client.query<{ rolname: string }>(
    `SELECT rolname FROM pg_roles
      WHERE starts_with(rolname, $1)
        AND rolname <> current_user
        AND NOT rolsuper
        AND rolvaliduntil IS NOT NULL
        AND rolvaliduntil < now() - make_interval(secs => $2)
      ORDER BY rolname`,
    [options.prefix, options.graceSeconds ?? 60],
  );

  const result: ReapResult = { reaped: [], failed: [] };
  for (const { rolname } of expired.rows) {
    try {
      await dropRole(client, rolname);
      result.reaped.push(rolname);
    } catch (err) {
      if ((err as { code?: string }).code === UNDEFINED_OBJECT) continue;
      result.failed.push({ role: rolname, error: asError(err) });
    }
  }
  return result;
}

async function dropRole(client: ClientBase, role: string): Promise<void> {
  // NOTE: terminating another role's backend needs pg_signal_backend (or membership); a minter
  // without it leaves the backends running until the sidecar's pod goes (they cannot log in
  // again: the role is past VALID UNTIL, and then dropped).
  await client
    .query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE usename = $1 AND pid <> pg_backend_pid()`,
      [role],
    )
    .catch(() => undefined);

  const quoted = escapeIdentifier(role);
  try {
    await client.query(`DROP ROLE ${quoted}`);
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== DEPENDENT_OBJECTS) throw err;
  }

  // Objects the session created stay (owned by the minter now); only the role goes.
  // NOTE: REASSIGN and DROP OWNED act on the current database only; a role that owns objects
  // in another database cannot be dropped and is reported as a ReapFailed Event.
  // REASSIGN and DROP OWNED need the privileges of the role, which a CREATEROLE minter
  // lacks until it grants itself membership; dropping the role ends that membership again.
  await client.query('BEGIN');
  try {
    await client.query(`GRANT ${quoted} TO CURRENT_USER`);
    await client.query(`REASSIGN OWNED BY ${quoted} TO CURRENT_USER`);
    await client.query(`DROP OWNED BY ${quoted}`);
    await client.query(`DROP ROLE ${quoted}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
