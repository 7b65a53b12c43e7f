import { randomBytes } from 'node:crypto';
import type { PostgresServer } from './postgres-server.js';
import { quoteIdentifier, quoteLiteral } from './sql-text.js';

/** The login of a role that may mint roles, as a DataSource's minter Secret holds it. */
export interface MinterCredential {
  username: string;
  password: string;
}

/** Options of createMinterRole. */
export interface MinterRoleOptions {
  /** Role name; `minter` by default. */
  name?: string;
  /** The roles minted roles may join (DataSource minter.grantableRoles). */
  grantableRoles: string[];
}

/**
 * The SQL that creates a minter for a server of the given major version.
 *
 * Before PostgreSQL 16, CREATEROLE alone lets a role create roles and grant membership in any
 * non-superuser role. From 16 on it must hold ADMIN OPTION on each role it grants; INHERIT
 * FALSE and SET FALSE keep it from acting with those roles' privileges itself.
 * https://www.postgresql.org/docs/16/release-16.html (CREATEROLE changes)
 */
export function minterRoleSql(
  major: number,
  credential: MinterCredential,
  roles: string[],
): string {
  const minter = quoteIdentifier(credential.username);
  const statements = [
    `CREATE ROLE ${minter} LOGIN CREATEROLE PASSWORD ${quoteLiteral(credential.password)}`,
  ];
  if (major >= 16) {
    for (const role of roles) {
      statements.push(
        `GRANT ${quoteIdentifier(role)} TO ${minter} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`,
      );
    }
  }
  return statements.map((statement) => `${statement};`).join('\n');
}

/** Creates the minter role with a random password on server and returns its credential. */
export async function createMinterRole(
  server: PostgresServer,
  options: MinterRoleOptions,
): Promise<MinterCredential> {
  const credential = {
    username: options.name ?? 'minter',
    password: randomBytes(24).toString('base64url'),
  };
  const major = await server.majorVersion();
  await server.sql(minterRoleSql(major, credential, options.grantableRoles));
  return credential;
}
