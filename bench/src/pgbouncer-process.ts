import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chown, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ManagedProcess, PostgresServer } from '@portcullis/testkit';
import { freePort, onProcessExit, startProcess } from '@portcullis/testkit';
import { serverUser } from './server-user.js';

const run = promisify(execFile);

/** A running PgBouncer in session mode in front of one database of the throwaway server. */
export interface PgBouncer {
  host: string;
  port: number;
  pid: number | undefined;
  version: string;
  stop(): Promise<void>;
}

/** The pgbouncer program: on the PATH, or where Debian installs it. */
function pgbouncerProgram(): string {
  return existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer';
}

/**
 * Starts PgBouncer in session mode on a free port of 127.0.0.1, authenticating clients with
 * SCRAM and logging in to the server as its superuser. The auth file holds the plain password,
 * which PgBouncer needs to answer the server's SCRAM exchange.
 * https://www.pgbouncer.org/config.html
 */
export async function startPgBouncer(server: PostgresServer, database: string): Promise<PgBouncer> {
  const owner = await serverUser();
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-pgbouncer-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onProcessExit(removeDir);

  const port = await freePort();
  const config = pgbouncerConfig({ server, database, port, authFile: join(dir, 'userlist.txt') });
  await writeFile(join(dir, 'pgbouncer.ini'), config, { mode: 0o600 });
  const userlist = `${JSON.stringify(server.superuser)} ${JSON.stringify(server.password)}\n`;
  await writeFile(join(dir, 'userlist.txt'), userlist, { mode: 0o600 });
  if (owner !== undefined) {
    for (const path of [dir, join(dir, 'pgbouncer.ini'), join(dir, 'userlist.txt')]) {
      await chown(path, owner.uid, owner.gid);
    }
  }

  const program = pgbouncerProgram();
  const child = startProcess({ command: program, args: [join(dir, 'pgbouncer.ini')], ...owner });
  await child.waitForOutput(/listening on 127\.0\.0\.1:\d+/, 10_000);
  const version = (await run(program, ['--version'])).stdout.split('\n')[0] ?? 'unknown';

  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    version,
    stop: async () => {
      await stopProcess(child);
      unregister();
      removeDir();
    },
  };
}

// SIGINT is PgBouncer's safe shutdown (waits for clients); the bench has none left by then.
async function stopProcess(child: ManagedProcess): Promise<void> {
  await child.stop('SIGINT', 5_000);
}

interface ConfigInput {
  server: PostgresServer;
  database: string;
  port: number;
  authFile: string;
}

function pgbouncerConfig({ server, database, port, authFile }: ConfigInput): string {
  return [
    '[databases]',
    `${database} = host=${server.host} port=${server.port} dbname=${database}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    // An empty directory turns the unix socket off; every target is reached over TCP.
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${authFile}`,
    'pool_mode = session',
    'max_client_conn = 200',
    'default_pool_size = 50',
    'ignore_startup_parameters = extra_float_digits',
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
}
