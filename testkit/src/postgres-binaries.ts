import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN_ROOT = '/usr/lib/postgresql';

/**
 * The directory holding initdb and postgres: $PG_BINDIR when set, else the newest
 * /usr/lib/postgresql/<major>/bin (Debian's layout), else the PATH.
 */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.PG_BINDIR;
  if (fromEnv) return fromEnv;
  if (!existsSync(DEBIAN_ROOT)) return undefined;

  const majors = readdirSync(DEBIAN_ROOT)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(DEBIAN_ROOT, name, 'bin', 'initdb')))
    .map(Number)
    .sort((a, b) => b - a);
  return majors[0] === undefined ? undefined : join(DEBIAN_ROOT, String(majors[0]), 'bin');
}

/** Full path of a PostgreSQL server program, or its bare name to find on the PATH. */
export function postgresProgram(name: 'initdb' | 'postgres' | 'pg_ctl'): string {
  const dir = postgresBinDir();
  return dir === undefined ? name : join(dir, name);
}
