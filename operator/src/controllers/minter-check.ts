import type { DataSource } from '@portcullis/crds';
import type { ClientBase } from 'pg';

/** What the minter may do on its server, as the catalog says. */
export interface MinterCapabilities {
  serverVersion: string;
  serverVersionNum: number;
  canCreateRoles: boolean;
  /** grantableRoles that do not exist on the server. */
  missingRoles: string[];
  /** grantableRoles that exist but the minter may not grant (or that are superusers). */
  ungrantableRoles: string[];
  /** Roles with the DataSource's prefix: the minted roles alive now. */
  mintedRoles: number;
}

interface SelfRow {
  server_version: string;
  server_version_num: string;
  rolcreaterole: boolean;
  rolsuper: boolean;
}

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  admin_option: boolean;
}

/**
 * Asks the server what the logged-in minter may do. Before PostgreSQL 16, CREATEROLE lets a
 * role grant membership in any role but a superuser; from 16 on it must also hold ADMIN OPTION
 * on the role granted (pg_auth_members.admin_option).
 * https://www.postgresql.org/docs/16/sql-createrole.html
 */
export async function checkMinter(
  client: ClientBase,
  spec: DataSource['spec'],
): Promise<MinterCapabilities> {
  const self = (
    await client.query<SelfRow>(
      `SELECT current_setting('server_version') AS server_version,
              current_setting('server_version_num') AS server_version_num,
              r.rolcreaterole, r.rolsuper
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0];
  if (self === undefined) throw new Error('the minter role is missing from pg_roles');
  const versionNum = Number(self.server_version_num);

  // Direct memberships only: ADMIN OPTION is not inherited through other roles' grants.
  const roles = await client.query<RoleRow>(
    `SELECT r.rolname, r.rolsuper,
            EXISTS (SELECT 1 FROM pg_auth_members m
                     WHERE m.roleid = r.oid
                       AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                       AND m.admin_option) AS admin_option
       FROM pg_roles r WHERE r.rolname = ANY($1::text[])`,
    [spec.minter.grantableRoles],
  );
  const found = new Map(roles.rows.map((row) => [row.rolname, row]));
  const missingRoles = spec.minter.grantableRoles.filter((role) => !found.has(role));
  const ungrantableRoles = [...found.values()]
    .filter((row) => {
      // Minted roles must never become superusers, whatever the minter could do.
      if (row.rolsuper) return true;
      if (self.rolsuper) return false;
      if (versionNum < 160000) return !self.rolcreaterole;
      return !row.admin_option;
    })
    .map((row) => row.rolname)
    .sort();

  const minted = await client.query<{ count: string }>(
    `SELECT count(*) AS count FROM pg_roles WHERE starts_with(rolname, $1) AND rolname <> current_user`,
    [spec.minter.roleNamePrefix],
  );

  return {
    serverVersion: self.server_version,
    serverVersionNum: versionNum,
    canCreateRoles: self.rolcreaterole || self.rolsuper,
    missingRoles,
    ungrantableRoles,
    mintedRoles: Number(minted.rows[0]?.count ?? 0),
  };
}
