import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

jest.setTimeout(30_000);
import { connect } from 'node:net';
import pg from 'pg';
import { readErrorFields } from '../src/wire/backend-decoders.js';
import { BackendCode, FrontendCode, StartupCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';
import { RawClient } from './support/raw-client.js';
import { replyBytes, waitFor } from './support/waits.js';

let upstream: Upstream;
let gate: RunningGate;

beforeAll(async () => {
  upstream = await startUpstream();
  gate = await startGate(upstream, { ttl: '2s', maxSessionDuration: '1h' });
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  await upstream?.server.stop();
}, 30_000);

async function mintedRoles(): Promise<string[]> {
  const out = await upstream.server.sql("select rolname from pg_roles where rolname like 'pc\\_%'");
  return out.split('\n').filter((line) => line !== '');
}

async function connected(url = gate.url()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('session lifecycle', () => {
  it('drops the minted role once the client leaves', async () => {
    const client = await connected();
    const { rows } = await client.query<{ me: string }>('select current_user as me');
    const role = rows[0]?.me ?? '';
    expect(await mintedRoles()).toContain(role);

    await client.end();
    await waitFor(async () => !(await mintedRoles()).includes(role));
    expect(await mintedRoles()).not.toContain(role);
  });

  it('ends the session with FATAL 57P01 once the ttl passes, and drops the role', async () => {
    const client = await connected();
    const ended = new Promise<Error>((resolve) => client.once('error', resolve));
    const { rows } = await client.query<{ me: string }>('select current_user as me');

    const error = (await ended) as Error & { code?: string; severity?: string };
    expect(error.code).toBe('57P01');
    expect(error.message).toMatch(/ttl 2s of policy shop\/web-reads has passed/);
    await waitFor(async () => !(await mintedRoles()).includes(rows[0]?.me ?? ''));
  });

  it('serves 50 concurrent sessions, each as its own role', async () => {
    const started = Date.now();
    const roles = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const client = await connected();
        try {
          const { rows } = await client.query<{ me: string; n: number }>(
            'select current_user as me, count(*)::int as n from orders',
          );
          return rows[0]?.me;
        } finally {
          await client.end();
        }
      }),
    );
    const elapsed = Date.now() - started;
    expect(new Set(roles).size).toBe(50);
    process.stdout.write(`50 concurrent sessions through the gate: ${elapsed} ms\n`);
    await waitFor(async () => (await mintedRoles()).length === 0);
  });
});

describe('policy changes', () => {
  it('ends a session whose policy is withdrawn, with FATAL 57P01 naming it', async () => {
    const watched = await startGate(upstream, {}, {}, true);
    try {
      const client = await connected(watched.url());
      const { rows } = await client.query<{ me: string }>('select current_user as me');
      const ended = new Promise<Error & { code?: string }>((resolve) =>
        client.on('error', resolve),
      );

      await watched.rewrite({ withoutPolicy: true });
      const error = await ended;
      expect(error.code).toBe('57P01');
      expect(error.message).toMatch(/policy shop\/web-reads was changed or withdrawn/);
      await waitFor(async () => !(await mintedRoles()).includes(rows[0]?.me ?? ''));
      await expect(connected(watched.url())).rejects.toMatchObject({ code: '28000' });
    } finally {
      await watched.stop();
    }
  });
});

describe('protocol violations end only that session', () => {
  it('answers an oversized message with 08P01 and keeps serving others', async () => {
    const raw = await RawClient.connect(gate.port);
    raw.startup();
    await raw.until(BackendCode.readyForQuery);
    // A Query whose length word claims 2 GiB: the gate must not try to buffer it.
    const header = Buffer.alloc(5);
    header[0] = FrontendCode.query;
    header.writeInt32BE(0x7ffffff0, 1);
    raw.send(header);

    const frames = await raw.until(BackendCode.errorResponse);
    const error = readErrorFields(frames.at(-1)!.body);
    expect(error).toMatchObject({ severity: 'FATAL', code: '08P01' });
    expect(await raw.next()).toBeUndefined();

    const other = await connected();
    expect((await other.query('select 1 as one')).rows[0]).toEqual({ one: 1 });
    await other.end();
  });

  it('answers a malformed Parse with 08P01', async () => {
    const raw = await RawClient.connect(gate.port);
    raw.startup();
    await raw.until(BackendCode.readyForQuery);
    // A Parse whose statement text lacks its terminating NUL.
    raw.send(
      new MessageWriter().cstring('').bytes(Buffer.from('select 1')).build(FrontendCode.parse),
    );

    const frames = await raw.until(BackendCode.errorResponse);
    expect(readErrorFields(frames.at(-1)!.body)).toMatchObject({ code: '08P01' });
  });

  it('ends a session whose startup does not complete in time', async () => {
    const slow = await startGate(upstream, {}, { limits: { startupTimeoutMs: 300 } });
    try {
      const raw = await RawClient.connect(slow.port);
      raw.send(Buffer.from([0, 0, 0])); // a startup packet that never completes
      const frame = await raw.next();
      expect(readErrorFields(frame!.body)).toMatchObject({ code: '08006', severity: 'FATAL' });
      expect(await raw.next()).toBeUndefined();
    } finally {
      await slow.stop();
    }
  });

  it('refuses a garbage startup packet with 08P01', async () => {
    const raw = await RawClient.connect(gate.port);
    raw.send(new MessageWriter().int32(0x00020000).cstring('user').build());
    const frame = await raw.next();
    expect(frame?.code).toBe(BackendCode.errorResponse);
    expect(readErrorFields(frame!.body)).toMatchObject({ code: '08P01', severity: 'FATAL' });
  });
});

describe('settings that would make the server read statements differently', () => {
  it('refuses standard_conforming_strings=off at startup, before minting', async () => {
    const raw = await RawClient.connect(gate.port);
    raw.send(
      new MessageWriter()
        .int32(StartupCode.protocol3)
        .cstring('user')
        .cstring('app')
        .cstring('standard_conforming_strings')
        .cstring('off')
        .byte(0)
        .build(),
    );
    const frame = await raw.next();
    expect(readErrorFields(frame!.body)).toMatchObject({ code: '0A000', severity: 'FATAL' });
    expect(await mintedRoles()).toEqual([]);
  });

  it('tells the server UTF8 whatever client encoding the client asked for', async () => {
    const client = new pg.Client({ connectionString: gate.url(), client_encoding: 'SJIS' });
    await client.connect();
    const { rows } = await client.query<{ client_encoding: string }>('show client_encoding');
    expect(rows[0]?.client_encoding).toBe('UTF8');
    await client.end();
  });

  it('ends the session when the server reports such a setting at login', async () => {
    await upstream.server.sql('alter database app set standard_conforming_strings = off');
    try {
      await expect(connected()).rejects.toMatchObject({
        code: '0A000',
        message: expect.stringMatching(/standard_conforming_strings = off/),
      });
    } finally {
      await upstream.server.sql('alter database app reset standard_conforming_strings');
    }
    await waitFor(async () => (await mintedRoles()).length === 0);
    expect(await mintedRoles()).toEqual([]);
  });
});

describe('refusals at startup', () => {
  it('refuses a client that insists on TLS to the gate', async () => {
    const client = new pg.Client({ connectionString: gate.url(), ssl: true });
    await expect(client.connect()).rejects.toThrow(/does not support SSL/);
  });

  it("answers SSLRequest and GSSENCRequest with 'N', and the startup goes on in the clear", async () => {
    const startup = new MessageWriter()
      .int32(StartupCode.protocol3)
      .cstring('user')
      .cstring('app')
      .cstring('database')
      .cstring('app')
      .byte(0)
      .build();
    // The first answer to a startup (an Authentication message, 'R' and its subtype), with a
    // request first or none.
    const firstAnswer = async (request: number | undefined) => {
      const socket = connect({ host: '127.0.0.1', port: gate.port });
      try {
        const replies = replyBytes(socket);
        if (request !== undefined) {
          socket.write(new MessageWriter().int32(request).build());
          expect((await replies.next(1)).toString('latin1')).toBe('N');
        }
        socket.write(startup);
        return await replies.next(9);
      } finally {
        socket.destroy();
      }
    };

    const plain = await firstAnswer(undefined);
    expect(plain[0]).toBe(BackendCode.authentication);
    expect(await firstAnswer(StartupCode.sslRequest)).toEqual(plain);
    expect(await firstAnswer(StartupCode.gssEncRequest)).toEqual(plain);
  });
});
