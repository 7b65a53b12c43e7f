/**
 * `make demo`: a throwaway PostgreSQL with sample data, the gate in standalone mode, and a
 * scripted psql session through it, printed as a person would type it. Ctrl-C stops
 * everything it started; without a terminal it runs the script and exits.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import {
  createMinterRole,
  freePort,
  loadSampleData,
  SAMPLE_ROLES,
  startPostgres,
  startProcess,
  type ManagedProcess,
  type MinterCredential,
  type PostgresServer,
} from '@portcullis/testkit';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/portcullis-sidecar.js');
const IDENTITY = { namespace: 'demo', name: 'shop-app' };
const interactive = process.stdout.isTTY === true;

const STATEMENTS = [
  'select current_user;',
  "select rolname, rolvaliduntil, pg_has_role(rolname, 'app_reader', 'member') as reader\n  from pg_roles where rolname = current_user;",
  'select name, email, card_number from customers order by id limit 3;',
  'delete from orders;',
  'select c.name, count(*) as orders, sum(o.amount) as total\n  from customers c join orders o on o.customer_id = c.id\n  group by c.name order by total desc limit 3;',
];

const say = (text = ''): void => void process.stdout.write(`${text}\n`);
const bold = (text: string): string => (interactive ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string): string => (interactive ? `\x1b[2m${text}\x1b[0m` : text);
const step = (text: string): void => say(`\n${bold(`== ${text}`)}`);

let server: PostgresServer | undefined;
let gate: ManagedProcess | undefined;
let policyDir: string | undefined;
let stopping: Promise<void> | undefined;

async function stopAll(): Promise<void> {
  stopping ??= (async () => {
    await gate?.stop('SIGTERM', 10_000);
    await server?.stop();
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say('\nstopping the gate and PostgreSQL ...');
    void stopAll().then(() => process.exit(130));
  });
}

function manifests(pg: PostgresServer, minter: MinterCredential, localPort: number): string {
  const docs = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'shop-minter', namespace: IDENTITY.namespace },
      stringData: { username: minter.username, password: minter.password },
    },
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'DataSource',
      metadata: { name: 'shop', namespace: IDENTITY.namespace },
      spec: {
        host: pg.host,
        port: pg.port,
        database: 'app',
        tls: { mode: 'disable' },
        localPort,
        minter: {
          secretRef: { name: 'shop-minter' },
          grantableRoles: [SAMPLE_ROLES.reader, SAMPLE_ROLES.writer],
        },
        classification: {
          'public.customers.email': 'email',
          'public.customers.card_number': 'credit_card',
        },
      },
    },
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'AccessPolicy',
      metadata: { name: 'shop-app-reads', namespace: IDENTITY.namespace },
      spec: {
        dataSourceRef: { name: 'shop' },
        workloadSelector: { matchLabels: { app: 'shop' } },
        subjects: [{ serviceAccount: IDENTITY }],
        grant: { role: SAMPLE_ROLES.reader, ttl: '10m', maxSessionDuration: '1h' },
        masking: {
          rules: [
            { classification: 'credit_card', strategy: 'partial' },
            { classification: 'email', strategy: 'redact' },
          ],
        },
      },
    },
  ];
  return docs.map((doc) => stringify(doc)).join('---\n');
}

/** Prints the gate's JSON log lines in short form. */
function showGateLog(chunk: string): void {
  for (const line of chunk.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const extra = ['role', 'identity', 'policy', 'reason', 'address']
        .filter((key) => entry[key] !== undefined)
        .map((key) => `${key}=${String(entry[key])}`)
        .join(' ');
      say(dim(`   [gate] ${String(entry.msg)} ${extra}`.trimEnd()));
    } catch {
      say(`   [gate] ${line}`);
    }
  }
}

/** Runs the statements in ONE psql session, printing each as typed, then its output. */
async function psqlSession(url: string): Promise<string> {
  const script = STATEMENTS.map((sql, i) => `${sql}\n\\echo __step_${i}__\n`).join('');
  // Line-buffered stdout (stdbuf, coreutils) keeps psql's errors next to their statement.
  const psql = ['psql', '-X', '-P', 'pager=off', url];
  const [command = 'psql', ...args] = existsSync('/usr/bin/stdbuf')
    ? ['stdbuf', '-oL', ...psql]
    : psql;
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => void (output += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.stdin.end(script);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`psql exited with ${code}`);

  let role = '';
  for (const [i, sql] of STATEMENTS.entries()) {
    const [answer = '', rest = ''] = output.split(`__step_${i}__\n`);
    output = rest;
    await typeLine(`app=> ${sql}`);
    say(answer.trimEnd());
    say();
    role ||= /^\s*(pc_\w+|portcullis_\w+)\s*$/m.exec(answer)?.[1] ?? '';
  }
  await typeLine('app=> \\q');
  return role;
}

async function typeLine(text: string): Promise<void> {
  if (!interactive) return say(text);
  for (const char of text) {
    process.stdout.write(char);
    await new Promise((done) => setTimeout(done, 12));
  }
  say();
}

async function main(): Promise<void> {
  step('a throwaway PostgreSQL with customers and orders');
  server = await startPostgres();
  await loadSampleData(server);
  const minter = await createMinterRole(server, {
    grantableRoles: [SAMPLE_ROLES.reader, SAMPLE_ROLES.writer],
  });
  say(
    `PostgreSQL ${await server.majorVersion()} on 127.0.0.1:${server.port}, data in ${server.dir}`,
  );
  say(`the only standing credential: the minter role "${minter.username}" (CREATEROLE)`);

  step('the gate in standalone mode');
  const port = await freePort();
  policyDir = await mkdtemp(join(tmpdir(), 'portcullis-demo-'));
  await writeFile(join(policyDir, 'shop.yaml'), manifests(server, minter, port));
  const identity = `system:serviceaccount:${IDENTITY.namespace}:${IDENTITY.name}`;
  say(`$ portcullis-sidecar --policies ${policyDir} --identity ${identity}`);
  gate = startProcess({
    command: process.execPath,
    args: [BIN, '--policies', policyDir, '--identity', identity],
    onOutput: showGateLog,
  });
  await gate.waitForOutput(/"msg":"gate ready"/, 20_000);

  step('a psql session through the gate (no password: the workload identity applies)');
  const url = `postgresql://app@127.0.0.1:${port}/app`;
  say(`$ psql ${url}`);
  const role = await psqlSession(url);

  step('after the session');
  await new Promise((done) => setTimeout(done, 500));
  const left = (await server.sql(`select count(*) from pg_roles where rolname = '${role}'`)).trim();
  say(`select count(*) from pg_roles where rolname = '${role}';  -- as the superuser: ${left}`);
  say(left === '0' ? `the minted role ${role} is gone.` : `the role ${role} is still there!`);
  if (left !== '0' || role === '') process.exitCode = 1;

  if (interactive) {
    say(`\nthe gate stays up: psql ${url}   (Ctrl-C stops everything)`);
    await new Promise(() => undefined);
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
