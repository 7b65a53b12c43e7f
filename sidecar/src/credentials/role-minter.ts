import type { DataSource } from '@portcullis/crds';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import {
  formatMintedRoleComment,
  MINTED_ROLE_MARKER,
  parseMintedRoleComment,
} from './minted-role-comment.js';
import { scramVerifier } from './scram-verifier.js';
import { tlsConnectionOptions, type UpstreamTls } from './upstream-tls.js';

/** The minter login, as the DataSource's minter Secret holds it. */
export interface MinterCredential {
  username: string;
  password: string;
}

/** What one session's role is minted for. */
export interface MintRequest {
  grantRole: string;
  ttlMs: number;
  connectionLimit: number;
  /** For the role comment: describeIdentity(identity), namespace/policy, session id. */
  identity: string;
  policy: string;
  sessionId: string;
}

/** A freshly minted role. The password exists only in this object and the upstream login. */
export interface MintedRole {
  name: string;
  password: string;
  validUntil: string;
}

/** Options of a RoleMinter. */
export interface RoleMinterOptions {
  dataSource: DataSource;
  credential: MinterCredential;
  tls: UpstreamTls;
  logger: Logger;
  /** Process identity written into role comments; this process by default. */
  owner?: { host: string; pid: number };
}

/** Raised when minting or dropping a role fails; the cause holds the server's error. */
export class RoleMinterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RoleMinterError';
  }
}

const { escapeIdentifier, escapeLiteral } = pg;

// Role names: the prefix, then 20 characters of base-32 randomness (100 bits).
const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * Mints and drops the short-lived roles of one DataSource through a small pool of minter
 * connections, and reaps roles whose gate is gone.
 */
export class RoleMinter {
  readonly dataSource: DataSource;
  private readonly pool: pg.Pool;
  private readonly logger: Logger;
  private readonly owner: { host: string; pid: number };
  /** Roles this process minted and has not dropped; the reaper leaves them alone. */
  private readonly live = new Set<string>();

  constructor(options: RoleMinterOptions) {
    const { spec } = options.dataSource;
    this.dataSource = options.dataSource;
    this.logger = options.logger;
    this.owner = options.owner ?? { host: hostname(), pid: process.pid };
    this.pool = new pg.Pool({
      host: spec.host,
      port: spec.port,
      database: spec.database,
      user: options.credential.username,
      password: options.credential.password,
      ssl: options.tls.mode === 'disable' ? false : tlsConnectionOptions(options.tls, spec.host),
      max: spec.minter.poolSize,
      idleTimeoutMillis: 60_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'portcullis-minter',
    });
    // An idle pooled connection that dies must not take the process down; the pool replaces it.
    this.pool.on('error', (error) => this.logger.warn({ err: error }, 'minter connection lost'));
  }

  /** Number of roles minted by this process and not yet dropped. */
  get liveRoles(): number {
    return this.live.size;
  }

  /**
   * Creates a role that can log in once (per connection limit) until now + ttl by the
   * server's clock, member of the granted role, with a comment naming its session.
   */
  async mint(request: MintRequest): Promise<MintedRole> {
    const { grantableRoles, roleNamePrefix } = this.dataSource.spec.minter;
    if (!grantableRoles.includes(request.grantRole)) {
      throw new RoleMinterError(
        `role ${request.grantRole} is not in grantableRoles of DataSource ${this.dataSource.metadata.name}`,
      );
    }

    const name = roleNamePrefix + randomName(20);
    const password = randomBytes(32).toString('base64url');
    const verifier = await scramVerifier(password);
    const comment = formatMintedRoleComment({
      identity: request.identity,
      policy: request.policy,
      session: request.sessionId,
      ...this.owner,
    });

    this.live.add(name);
    try {
      const validUntil = await this.transaction(async (client) => {
        const result = await client.query<{ until: string }>(
          'SELECT (now() + make_interval(secs => $1::float8))::text AS until',
          [request.ttlMs / 1000],
        );
        const until = result.rows[0]?.until ?? '';
        await client.query(
          `CREATE ROLE ${escapeIdentifier(name)} LOGIN PASSWORD ${escapeLiteral(verifier)}` +
            ` VALID UNTIL ${escapeLiteral(until)} CONNECTION LIMIT ${request.connectionLimit}` +
            ` IN ROLE ${escapeIdentifier(request.grantRole)}`,
        );
        await client.query(
          `COMMENT ON ROLE ${escapeIdentifier(name)} IS ${escapeLiteral(comment)}`,
        );
        return until;
      });
      return { name, password, validUntil };
    } catch (error) {
      this.live.delete(name);
      throw new RoleMinterError(`could not mint a role for session ${request.sessionId}`, {
        cause: error,
      });
    }
  }

  /**
   * Ends every backend of the role, then drops it with whatever it owns in this database
   * (REASSIGN and DROP OWNED act per database; a minted role only logs in to this one).
   * The minter joins the role for the length of the transaction, as REASSIGN OWNED and
   * pg_terminate_backend require, and the membership disappears with the role.
   * NOTE: tested against PostgreSQL 15 only; on 16+ the GRANT relies on the ADMIN OPTION a
   * CREATEROLE role gets on the roles it creates.
   */
  async drop(name: string): Promise<void> {
    try {
      await this.transaction(async (client) => {
        const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
        if (exists.rowCount === 0) return;

        const role = escapeIdentifier(name);
        await client.query(`GRANT ${role} TO CURRENT_USER`);
        await client.query(
          'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1',
          [name],
        );
        await client.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`);
        await client.query(`DROP OWNED BY ${role}`);
        await client.query(`DROP ROLE ${role}`);
      });
      this.live.delete(name);
    } catch (error) {
      throw new RoleMinterError(`could not drop role ${name}`, { cause: error });
    }
  }

  /**
   * Drops minted roles nobody will drop otherwise: every expired one with the gate's marker
   * and prefix, and those minted on this host by a process that no longer runs (a gate killed
   * with SIGKILL). Returns the names dropped.
   */
  async reap(): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string; expired: boolean; comment: string }>(
      `SELECT r.rolname AS name, coalesce(r.rolvaliduntil < now(), false) AS expired,
              d.description AS comment
         FROM pg_roles r
         JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
        WHERE starts_with(r.rolname, $1) AND starts_with(d.description, $2)`,
      [this.dataSource.spec.minter.roleNamePrefix, MINTED_ROLE_MARKER],
    );

    const dropped: string[] = [];
    for (const row of rows) {
      if (this.live.has(row.name)) continue;
      const owner = parseMintedRoleComment(row.comment);
      if (owner === undefined) continue;
      if (!row.expired && !this.orphaned(owner)) continue;
      try {
        await this.drop(row.name);
        dropped.push(row.name);
      } catch (error) {
        this.logger.warn({ err: error, role: row.name }, 'reaper could not drop a minted role');
      }
    }
    return dropped;
  }

  /**
   * Runs a read-only catalog query on a minter connection (the masking module's column
   * origins); pg_class, pg_attribute and pg_type are readable by every role.
   */
  readonly catalogQuery = async (
    sql: string,
    params: unknown[],
  ): Promise<readonly Record<string, unknown>[]> =>
    (await this.pool.query<Record<string, unknown>>(sql, params)).rows;

  /** Closes the minter connections. */
  async end(): Promise<void> {
    await this.pool.end();
  }

  /**
   * NOTE: liveness is judged by host name and process id: when another process has taken
   * the dead gate's pid on the same host, its unexpired roles stay until VALID UNTIL passes
   * (they can no longer log in after that, and the next reap drops them).
   */
  private orphaned(owner: { host: string; pid: number }): boolean {
    if (owner.host !== this.owner.host) return false;
    // Our own pid can be a previous incarnation's too (pid 1 in a restarted container); the
    // live set already excluded what this process minted.
    if (owner.pid === this.owner.pid) return true;
    return !processRuns(owner.pid);
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // A failed ROLLBACK means the connection is unusable: destroy it rather than reuse it.
      await client.query('ROLLBACK').then(
        () => client.release(),
        (rollbackError: unknown) => client.release(rollbackError as Error),
      );
      throw error;
    }
  }
}

function randomName(length: number): string {
  const bytes = randomBytes(length);
  let name = '';
  for (const byte of bytes) name += NAME_ALPHABET[byte & 31];
  return name;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
