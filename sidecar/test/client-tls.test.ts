import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createSelfSignedCertificate, type SelfSignedCertificate } from '@portcullis/testkit';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { readErrorFields } from '../src/wire/backend-decoders.js';
import { BackendCode, StartupCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';
import { RawClient } from './support/raw-client.js';
import { replyBytes, waitFor } from './support/waits.js';

jest.setTimeout(30_000);
const run = promisify(execFile);

let upstream: Upstream;
let dir: string;
/** Two unrelated self-signed pairs for localhost and 127.0.0.1. */
let first: SelfSignedCertificate;
let second: SelfSignedCertificate;
/** A gate that offers TLS, and one that insists on it. */
let offering: RunningGate;
let requiring: RunningGate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-client-tls-'));
  const [a, b] = await Promise.all([mkdtemp(join(dir, 'first-')), mkdtemp(join(dir, 'second-'))]);
  [first, second] = await Promise.all([
    createSelfSignedCertificate(a),
    createSelfSignedCertificate(b),
  ]);
  upstream = await startUpstream();
  const files = { certFile: first.certFile, keyFile: first.keyFile };
  offering = await startGate(upstream, {}, { clientTls: files });
  requiring = await startGate(upstream, {}, { clientTls: { ...files, required: true } });
}, 60_000);

afterAll(async () => {
  await offering?.stop();
  await requiring?.stop();
  await upstream?.server.stop();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('TLS from the client side, when configured', () => {
  it('gives psql with sslmode=require a session over TLS as the minted role', async () => {
    const out = await psql(
      `host=127.0.0.1 port=${offering.port} dbname=app user=app password=workload ` +
        'sslmode=require',
    );
    const [user, ...conninfo] = out.split('\n');
    expect(user).toMatch(/^pc_/);
    expect(conninfo.join('\n')).toMatch(/^SSL connection \(protocol: TLSv1\.[23]/m);
  });

  it('gives pg a session over TLS as the minted role, with the configured certificate', async () => {
    const client = await connected(offering, { rejectUnauthorized: false });
    let role = '';
    try {
      const { rows } = await client.query<{ me: string }>('select current_user as me');
      role = rows[0]?.me ?? '';
      expect(await mintedRoles()).toContain(role);
      const many = await client.query(
        'select g, repeat($1, 200) from generate_series(1, 20000) g',
        ['x'],
      );
      expect(many.rows).toHaveLength(20_000);
      const socket = clientSocket(client);
      expect(socket).toBeInstanceOf(TLSSocket);
      expect((socket as TLSSocket).getPeerCertificate().fingerprint256).toBe(
        fingerprint(first.certPem),
      );
    } finally {
      await client.end();
    }
    // The session ends with the TLS connection and takes its role with it.
    await waitFor(async () => !(await mintedRoles()).includes(role));
  });

  it('ends a TLS session with FATAL 57P01 over TLS once the ttl passes, and drops the role', async () => {
    const files = { certFile: first.certFile, keyFile: first.keyFile };
    const brief = await startGate(upstream, { ttl: '1s' }, { clientTls: files });
    try {
      const client = await connected(brief, { rejectUnauthorized: false });
      const ended = new Promise<Error>((resolve) => client.once('error', resolve));
      const { rows } = await client.query<{ me: string }>('select current_user as me');
      await expect(ended).resolves.toMatchObject({
        code: '57P01',
        message: expect.stringMatching(/ttl 1s of policy shop\/web-reads has passed/),
      });
      await waitFor(async () => !(await mintedRoles()).includes(rows[0]?.me ?? ''));
    } finally {
      await brief.stop();
    }
  });

  it('passes sslmode=verify-full with the CA and host name, and fails on another name', async () => {
    const conninfo = (host: string) =>
      `host=${host} hostaddr=127.0.0.1 port=${offering.port} dbname=app user=app ` +
      `password=workload sslmode=verify-full sslrootcert=${first.certFile}`;
    const out = await psql(conninfo('localhost'));
    expect(out).toMatch(/^pc_/);
    expect(out).toMatch(/^SSL connection/m);

    await expect(psql(conninfo('db.example.invalid'))).rejects.toThrow(
      /does not match host name "db\.example\.invalid"/,
    );
  });

  it('ends only the connection whose TLS handshake fails', async () => {
    const other = await connected(offering, { rejectUnauthorized: false });
    try {
      const socket = connect({ host: '127.0.0.1', port: offering.port });
      const replies = replyBytes(socket);
      socket.write(new MessageWriter().int32(StartupCode.sslRequest).build());
      expect((await replies.next(1)).toString('latin1')).toBe('S');
      socket.write(Buffer.from('this is not a TLS ClientHello\r\n'.repeat(4)));
      await replies.closed;

      expect((await other.query('select 1 as one')).rows[0]).toEqual({ one: 1 });
    } finally {
      await other.end();
    }
  });

  it('refuses bytes sent behind an SSLRequest before answering it (CVE-2021-23214)', async () => {
    const raw = await RawClient.connect(offering.port);
    const request = new MessageWriter().int32(StartupCode.sslRequest).build();
    raw.send(Buffer.concat([request, Buffer.from([0, 0, 0, 8, 0, 3, 0, 0])]));
    const frame = await raw.next();
    expect(frame?.code).toBe(BackendCode.errorResponse);
    expect(readErrorFields(frame!.body)).toMatchObject({ code: '08P01', severity: 'FATAL' });
  });

  it("still answers GSSENCRequest with 'N', and an SSLRequest after it with 'S'", async () => {
    const socket = connect({ host: '127.0.0.1', port: offering.port });
    try {
      const replies = replyBytes(socket);
      socket.write(new MessageWriter().int32(StartupCode.gssEncRequest).build());
      expect((await replies.next(1)).toString('latin1')).toBe('N');
      socket.write(new MessageWriter().int32(StartupCode.sslRequest).build());
      expect((await replies.next(1)).toString('latin1')).toBe('S');
    } finally {
      socket.destroy();
    }
  });
});

describe('--client-tls-required', () => {
  it('refuses a client in the clear with 28000 and mints no role', async () => {
    await waitFor(async () => (await mintedRoles()).length === 0);
    const client = new pg.Client({ connectionString: requiring.url() });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toMatchObject({
      code: '28000',
      message: 'the Portcullis gate accepts only TLS connections',
      hint: expect.stringMatching(/sslmode=require/),
    });
    expect(await mintedRoles()).toEqual([]);
  });

  // libpq before version 17 sends its CancelRequest in the clear, as PostgreSQL accepts;
  // libpq 17 sends it over TLS when the session used TLS.
  it.each([
    ['in the clear', false],
    ['over TLS', true],
  ])('serves a TLS client, whose query a CancelRequest sent %s cancels', async (_how, tls) => {
    const client = await connected(requiring, { rejectUnauthorized: false });
    try {
      expect(clientSocket(client)).toBeInstanceOf(TLSSocket);
      const sleeping = client.query('select pg_sleep(30)');
      await waitFor(async () => {
        const sql = "select 1 from pg_stat_activity where query like 'select pg_sleep%'";
        return (await upstream.server.sql(sql)).trim() !== '';
      });

      const { processID, secretKey } = client as unknown as {
        processID: number;
        secretKey: number;
      };
      const cancel = new MessageWriter()
        .int32(StartupCode.cancelRequest)
        .int32(processID)
        .int32(secretKey)
        .build();
      const socket = tls ? await tlsConnection(requiring) : connect(requiring.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.end(cancel);
      await expect(sleeping).rejects.toMatchObject({ code: '57014' });
      socket.destroy();
    } finally {
      await client.end();
    }
  });
});

describe('certificate rotation', () => {
  it('serves a replaced pair to new connections, and ignores a mismatched one', async () => {
    const served = await mkdtemp(join(dir, 'served-'));
    const certFile = join(served, 'tls.crt');
    const keyFile = join(served, 'tls.key');
    const install = async (cert: string, key: string) => {
      await copyFile(key, keyFile);
      await copyFile(cert, certFile);
    };
    await install(first.certFile, first.keyFile);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const gate = await startGate(upstream, {}, { clientTls: { certFile, keyFile }, logger });
    try {
      expect(await servedFingerprint(gate)).toBe(fingerprint(first.certPem));

      await install(second.certFile, second.keyFile);
      expect(await servedFingerprint(gate)).toBe(fingerprint(second.certPem));

      // The first certificate with the second key: not a pair, so the second keeps serving.
      await copyFile(first.certFile, certFile);
      expect(await servedFingerprint(gate)).toBe(fingerprint(second.certPem));
      expect(await servedFingerprint(gate)).toBe(fingerprint(second.certPem));
      const warnings = lines.filter((line) => line.includes('cannot be used'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/does not belong to the certificate/);

      await install(first.certFile, first.keyFile);
      expect(await servedFingerprint(gate)).toBe(fingerprint(first.certPem));
    } finally {
      await gate.stop();
    }
  });

  it('does not start a gate whose certificate and key do not match, or are missing', async () => {
    await expect(
      startGate(upstream, {}, { clientTls: { certFile: first.certFile, keyFile: second.keyFile } }),
    ).rejects.toMatchObject({
      message: 'cannot serve client TLS',
      cause: {
        message: expect.stringMatching(/^the key in .* does not belong to the certificate/),
      },
    });
    await expect(
      startGate(
        upstream,
        {},
        { clientTls: { certFile: join(dir, 'none.crt'), keyFile: second.keyFile } },
      ),
    ).rejects.toMatchObject({
      cause: {
        message: 'cannot read the client TLS certificate and key',
        cause: { code: 'ENOENT' },
      },
    });
  });
});

async function psql(conninfo: string): Promise<string> {
  const sql = ['-c', 'select current_user', '-c', '\\conninfo'];
  const { stdout } = await run('psql', [
    '-X',
    '-A',
    '-t',
    '-v',
    'ON_ERROR_STOP=1',
    conninfo,
    ...sql,
  ]);
  return stdout.trim();
}

async function connected(gate: RunningGate, ssl?: pg.ClientConfig['ssl']): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: gate.url(), ...(ssl ? { ssl } : {}) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The socket a pg client talks through: a TLSSocket once it upgraded. */
function clientSocket(client: pg.Client): Socket {
  return (client as unknown as { connection: { stream: Socket } }).connection.stream;
}

/** Fingerprint of the certificate a new TLS session through gate is served. */
async function servedFingerprint(gate: RunningGate): Promise<string> {
  const client = await connected(gate, { rejectUnauthorized: false });
  try {
    return (clientSocket(client) as TLSSocket).getPeerCertificate().fingerprint256;
  } finally {
    await client.end();
  }
}

/** A connection through gate that sent SSLRequest and completed TLS, before its startup. */
async function tlsConnection(gate: RunningGate): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port: gate.port });
  const replies = replyBytes(socket);
  socket.write(new MessageWriter().int32(StartupCode.sslRequest).build());
  expect((await replies.next(1)).toString('latin1')).toBe('S');
  socket.removeAllListeners('data');
  const secure = tlsConnect({ socket, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  return secure;
}

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

async function mintedRoles(): Promise<string[]> {
  const out = await upstream.server.sql("select rolname from pg_roles where rolname like 'pc\\_%'");
  return out.split('\n').filter((line) => line !== '');
}
