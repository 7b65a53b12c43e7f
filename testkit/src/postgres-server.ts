import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { postgresProgram } from './postgres-binaries.js';
import { createSelfSignedCertificate, type SelfSignedCertificate } from './tls-certificate.js';

const run = promisify(execFile);

/** Options of a throwaway PostgreSQL server. */
export interface PostgresServerOptions {
  /** Serve TLS on the TCP port with a self-signed certificate (see `tls` on the server). */
  tls?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

/** Raised when the throwaway server cannot be created, started or queried. */
export class PostgresServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PostgresServerError';
  }
}

/** Who owns the data directory: initdb and postgres refuse to run as root. */
interface ServerUser {
  uid: number;
  gid: number;
}

async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  } catch (error) {
    throw new PostgresServerError('running as root needs a "postgres" system user', {
      cause: error,
    });
  }
}

/**
 * A PostgreSQL server in a temporary directory: TCP on 127.0.0.1 with scram-sha-256, a unix
 * socket in the directory itself with trust (the directory is private to the server user),
 * and a superuser `postgres` with a random password. Stopped and deleted on stop(), or when
 * the Node process exits, or (through a watchdog) when the Node process is killed.
 */
export class PostgresServer {
  readonly host = '127.0.0.1';
  readonly superuser = 'postgres';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly password: string,
    readonly tls: SelfSignedCertificate | undefined,
    private readonly process: ManagedProcess,
    private readonly cleanup: () => void,
  ) {}

  /** Creates, configures and starts a server; resolves when it accepts connections. */
  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const owner = await serverUser();
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-pg-'));
    const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
    const unregisterDir = onProcessExit(removeDir);
    try {
      return await PostgresServer.startIn(dir, owner, options, () => {
        unregisterDir();
        removeDir();
      });
    } catch (error) {
      unregisterDir();
      removeDir();
      throw error;
    }
  }

  private static async startIn(
    dir: string,
    owner: ServerUser | undefined,
    options: PostgresServerOptions,
    removeDir: () => void,
  ): Promise<PostgresServer> {
    const password = randomBytes(18).toString('base64url');
    const dataDir = join(dir, 'data');
    const passwordFile = join(dir, 'superuser-password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (owner) {
      chownSync(dir, owner.uid, owner.gid);
      chownSync(passwordFile, owner.uid, owner.gid);
    }
    chmodSync(dir, 0o700);

    await runAs(owner, postgresProgram('initdb'), [
      '--pgdata',
      dataDir,
      '--username',
      'postgres',
      '--pwfile',
      passwordFile,
      '--auth-local',
      'trust',
      '--auth-host',
      'scram-sha-256',
      '--encoding',
      'UTF8',
      '--locale',
      'C',
      '--no-sync',
    ]);
    rmSync(passwordFile);

    const tls = options.tls ? await createSelfSignedCertificate(dir) : undefined;
    if (tls && owner) {
      chownSync(tls.keyFile, owner.uid, owner.gid);
      chownSync(tls.certFile, owner.uid, owner.gid);
    }
    if (tls) chmodSync(tls.keyFile, 0o600);

    const port = await freePort();
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: dir,
      max_connections: '200',
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      password_encryption: 'scram-sha-256',
      ...(tls ? { ssl: 'on', ssl_cert_file: tls.certFile, ssl_key_file: tls.keyFile } : {}),
      ...options.settings,
    };
    const args = ['-D', dataDir];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);

    const server = startProcess({ command: postgresProgram('postgres'), args, ...owner });
    const stopWatchdog = startWatchdog(server.pid, dir);
    try {
      await server.waitForOutput(/database system is ready to accept connections/, 30_000);
    } catch (error) {
      await server.stop('SIGQUIT', 2_000);
      stopWatchdog();
      throw new PostgresServerError('PostgreSQL did not start', { cause: error });
    }
    return new PostgresServer(dir, port, password, tls, server, () => {
      stopWatchdog();
      removeDir();
    });
  }

  /** The unix socket directory, for psql -h. */
  get socketDir(): string {
    return this.dir;
  }

  /** Major version of the server binaries (15, 16, ...). */
  async majorVersion(): Promise<number> {
    const text = await this.sql('SHOW server_version_num');
    return Math.floor(Number(text.trim()) / 10_000);
  }

  /** A TCP connection URL for user (the superuser by default) on database. */
  url(database = 'postgres', user = this.superuser, password = this.password): string {
    const auth = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
    return `postgresql://${auth}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /**
   * Runs SQL as the superuser through psql over the unix socket, stopping at the first error;
   * resolves with psql's unaligned, tuples-only output.
   */
  async sql(text: string, database = 'postgres'): Promise<string> {
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.dir];
    args.push('-p', String(this.port), '-U', this.superuser, '-d', database);
    try {
      const { stdout } = await run('psql', args.concat('-c', text), { maxBuffer: 64 << 20 });
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new PostgresServerError(`psql failed: ${stderr.trim()}`, { cause: error });
    }
  }

  /** Stops the server (fast shutdown) and deletes its directory. */
  async stop(): Promise<void> {
    await this.process.stop('SIGINT', 10_000);
    this.cleanup();
  }
}

/** Starts a throwaway PostgreSQL server (see PostgresServer). */
export function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  return PostgresServer.start(options);
}

async function runAs(owner: ServerUser | undefined, command: string, args: string[]) {
  try {
    return await run(command, args, { ...owner, maxBuffer: 16 << 20 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new PostgresServerError(`${command} failed: ${stderr.trim()}`, { cause: error });
  }
}

/**
 * A detached shell that outlives a SIGKILLed Node process: once the parent is gone it stops
 * PostgreSQL (SIGQUIT, immediate shutdown) and deletes the directory. Returns its stopper.
 */
function startWatchdog(serverPid: number | undefined, dir: string): () => void {
  if (serverPid === undefined) return () => undefined;
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; ' +
    'kill -QUIT "$2" 2>/dev/null; sleep 2; rm -rf "$3"';
  const watchdog = spawn(
    'sh',
    ['-c', script, 'watchdog', String(process.pid), String(serverPid), dir],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  watchdog.unref();
  const unregister = onProcessExit(() => watchdog.kill('SIGKILL'));
  return () => {
    unregister();
    watchdog.kill('SIGKILL');
  };
}
