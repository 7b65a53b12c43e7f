import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import type { WireTarget } from './wire-session.js';
import type { NoticeMessage } from 'pg-protocol/dist/messages.js';

/** Where a suite case connects: PostgreSQL itself, or the gate in front of it. */
export interface SuiteTarget {
  kind: 'direct' | 'gate';
  /** A postgresql:// URL that pg and psql both accept. */
  url: string;
  /** The same place for a raw protocol session (the conformance suite needs it). */
  wire?: WireTarget;
}

/** Error fields a client can see, without the server's source location (file, line, routine). */
export interface ObservedError {
  error: {
    severity: string | undefined;
    code: string | undefined;
    message: string;
    detail: string | undefined;
    hint: string | undefined;
    position: string | undefined;
    where: string | undefined;
    schema: string | undefined;
    table: string | undefined;
    column: string | undefined;
    constraint: string | undefined;
  };
}

/** One result of a statement: its command tag, its columns and its rows as sent. */
export interface ObservedResult {
  command: string | null;
  rowCount: number | null;
  fields: { name: string; tableID: number; columnID: number; type: number; format: string }[];
  rows: unknown[][];
}

export type Observation = ObservedResult | ObservedError | ObservedResult[] | { lost: string };

/** A query as pg takes it; rows come back as arrays of the server's text, unparsed. */
export interface SuiteQuery {
  text: string;
  values?: unknown[];
  name?: string;
  binary?: boolean;
  queryMode?: 'extended';
}

// Values stay exactly as the server sent them: no type parsing that could hide a difference.
const RAW_TYPES = { getTypeParser: () => (value: string) => value };

/** One pg connection that records what it runs, the notices and the notifications it gets. */
export class SuiteSession {
  readonly notices: ObservedError['error'][] = [];
  readonly notifications: { channel: string; payload: string | undefined }[] = [];
  /** Errors that arrived while no query ran (a FATAL ending the session, say). */
  readonly asyncErrors: (ObservedError['error'] | { lost: string })[] = [];

  private constructor(readonly client: pg.Client) {
    client.on('error', (error) =>
      this.asyncErrors.push(
        error instanceof pg.DatabaseError ? errorFields(error) : { lost: error.message },
      ),
    );
    client.on('notice', (notice) => this.notices.push(errorFields(notice)));
    client.on('notification', (n) =>
      this.notifications.push({ channel: n.channel, payload: n.payload }),
    );
  }

  static async open(target: SuiteTarget): Promise<SuiteSession> {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    return new SuiteSession(client);
  }

  /** Runs one query; a server (or gate) error is an observation, not a failure. */
  async run(query: SuiteQuery | string): Promise<Observation> {
    const config = typeof query === 'string' ? { text: query } : query;
    try {
      const result = (await this.client.query({
        ...config,
        rowMode: 'array',
        types: RAW_TYPES,
      })) as pg.QueryResult | pg.QueryResult[];
      return Array.isArray(result) ? result.map(observeResult) : observeResult(result);
    } catch (error) {
      if (error instanceof pg.DatabaseError) return { error: errorFields(error) };
      // pg's own errors for a connection that is gone or unusable.
      if (error instanceof Error && /Connection terminated|not queryable/.test(error.message)) {
        return { lost: error.message };
      }
      throw error;
    }
  }

  /** Waits until count notifications arrived, or timeoutMs passed. */
  async notified(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.notifications.length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Cancels what runs on this session now, with a CancelRequest to where it connected. */
  async cancel(target: SuiteTarget): Promise<void> {
    const { hostname, port } = new URL(target.url);
    const key = this.client as unknown as { processID: number; secretKey: number };
    const socket = connect({ host: hostname, port: Number(port) });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.end(serialize.cancel(key.processID, key.secretKey));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** Opens a session, runs work on it and always closes it. */
export async function withSession<T>(
  target: SuiteTarget,
  work: (session: SuiteSession) => Promise<T>,
): Promise<T> {
  const session = await SuiteSession.open(target);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

function observeResult(result: pg.QueryResult): ObservedResult {
  return {
    command: result.command,
    rowCount: result.rowCount,
    fields: result.fields.map((f) => ({
      name: f.name,
      tableID: f.tableID,
      columnID: f.columnID,
      type: f.dataTypeID,
      format: f.format,
    })),
    rows: result.rows as unknown[][],
  };
}

function errorFields(error: pg.DatabaseError | NoticeMessage): ObservedError['error'] {
  return {
    severity: error.severity,
    code: error.code,
    message: error.message ?? '',
    detail: error.detail,
    hint: error.hint,
    position: error.position,
    where: error.where,
    schema: error.schema,
    table: error.table,
    column: error.column,
    constraint: error.constraint,
  };
}

/** What psql printed and how it exited; stdout as a digest when binary. */
export interface PsqlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs psql -c sql on target with input on stdin; never rejects on a failing exit. */
export function psql(
  target: SuiteTarget,
  sql: string,
  options: { input?: string; binary?: boolean } = {},
): Promise<PsqlRun> {
  const args = ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', target.url, '-c', sql];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'psql',
      args,
      { encoding: 'buffer', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        // A failing exit has a numeric code; anything else means psql did not run.
        if (error !== null && typeof error.code !== 'number') {
          return reject(new Error('psql did not run', { cause: error }));
        }
        resolve({
          code: typeof error?.code === 'number' ? error.code : 0,
          stdout: options.binary ? digest(stdout) : stdout.toString('utf8'),
          stderr: stderr.toString('utf8'),
        });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** A short stand-in for a large or binary value in an observation. */
export function digest(value: Buffer | string): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
}
