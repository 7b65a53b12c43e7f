import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A user and group id to run a server program as. */
export interface ServerUser {
  uid: number;
  gid: number;
}

/**
 * PgBouncer, like PostgreSQL, refuses to run as root; as root the bench runs it as the
 * `postgres` system user that Debian's packages create. Undefined when not root.
 */
export async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}
