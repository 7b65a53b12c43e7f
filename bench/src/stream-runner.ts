import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { Endpoint } from './pgbench-runner.js';

/** The table of the streaming scenario, created and filled by the bench. */
export const STREAM_TABLE = 'bench_customers';

/** The statement the streaming scenario times: every row, three classified columns. */
export const STREAM_QUERY = `SELECT id, email, card_number, phone, note FROM ${STREAM_TABLE}`;

/** Thrown when psql fails or returns another number of rows than the table holds. */
export class StreamRunError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StreamRunError';
  }
}

/**
 * SQL that creates the streaming table with `rows` rows: distinct emails, 16-digit card
 * numbers whose last digit is the Luhn check digit, and phone numbers. The check digit is
 * computed in SQL from the 15 digits before it (doubling every second digit from the right).
 */
export function streamTableSql(rows: number): string {
  const body = `'4' || lpad((g::bigint * 7919 % 100000000000000)::text, 14, '0')`;
  return `CREATE TABLE ${STREAM_TABLE} (
  id integer PRIMARY KEY,
  email text NOT NULL,
  card_number text NOT NULL,
  phone text NOT NULL,
  note text NOT NULL
);
INSERT INTO ${STREAM_TABLE}
SELECT g, 'customer' || g || '@example.com', body || luhn.check, '+1-555-' || lpad((g % 10000000)::text, 7, '0'),
       'customer since ' || (2000 + g % 25)
FROM generate_series(1, ${rows}) AS g,
     LATERAL (SELECT ${body} AS body) AS b,
     LATERAL (
       SELECT ((10 - sum(CASE WHEN i % 2 = 1
                              THEN (d * 2) / 10 + (d * 2) % 10
                              ELSE d END) % 10) % 10)::text AS check
       FROM (SELECT i, substr(body, 16 - i, 1)::int AS d FROM generate_series(1, 15) AS i) AS digits
     ) AS luhn;
ANALYZE ${STREAM_TABLE};`;
}

/**
 * Reads the whole table through an endpoint with `psql -At`, rows to /dev/null, and returns
 * the wall time. psql's own cost (it holds the result in memory, then prints it) is the same
 * for every target. psql reports no row count with -A -t, so stdout is counted only for the
 * check query, not here.
 */
export async function runStream(endpoint: Endpoint): Promise<number> {
  const devNull = await open('/dev/null', 'w');
  try {
    const started = process.hrtime.bigint();
    await psql(endpoint, STREAM_QUERY, devNull.fd);
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await devNull.close();
  }
}

/** Runs one statement with psql and returns what it printed (for small results). */
export async function psqlOutput(endpoint: Endpoint, sql: string): Promise<string> {
  return psql(endpoint, sql, 'pipe');
}

function psql(endpoint: Endpoint, sql: string, stdout: number | 'pipe'): Promise<string> {
  const args = ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql];
  args.push('-h', endpoint.host, '-p', String(endpoint.port), '-U', endpoint.user);
  args.push('-d', endpoint.database);
  return new Promise((resolve, reject) => {
    const child = spawn('psql', args, {
      env: { ...process.env, PGPASSWORD: endpoint.password, PGSSLMODE: 'disable' },
      stdio: ['ignore', stdout, 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk.slice(0, 4000)));
    child.on('error', (error) =>
      reject(new StreamRunError('psql did not start', { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0 && err === '') resolve(out);
      else reject(new StreamRunError(`psql exited with ${code}: ${err.slice(0, 2000)}`));
    });
  });
}
