import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createSelfSignedCertificate } from '@portcullis/testkit';
import {
  ApprovalRequestError,
  OperatorApprovalChannel,
  type ApprovalAsk,
} from './operator-channel.js';

const logger = pino({ level: 'silent' });

/** The operator's approvals endpoints, reduced to one request held in memory. */
class ApprovalsServer {
  posted: unknown[] = [];
  phase: 'Pending' | 'Approved' | 'Denied' = 'Pending';
  expiresInMs = 60_000;
  refusePost: number | undefined;
  failPolls = 0;
  private expiresAt = '';
  private waiters = new Set<() => void>();
  server!: https.Server;
  url = '';

  async start(cert: { certPem: string; keyFile: string }) {
    this.server = https.createServer(
      { cert: cert.certPem, key: await readFile(cert.keyFile, 'utf8') },
      (req, res) => void this.handle(req, res),
    );
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  decide(phase: 'Approved' | 'Denied') {
    this.phase = phase;
    for (const wake of this.waiters) wake();
  }

  async stop() {
    for (const wake of this.waiters) wake();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private state() {
    const decided = this.phase === 'Pending' ? {} : { decidedBy: 'bob', comment: 'fine' };
    return {
      name: 'orders-rw-x1',
      namespace: 'shop',
      phase: this.phase,
      expiresAt: this.expiresAt,
      ...decided,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST') {
      let text = '';
      for await (const chunk of req) text += String(chunk);
      this.posted.push(JSON.parse(text));
      if (this.refusePost !== undefined)
        return send(this.refusePost, { message: 'not for this pod' });
      this.expiresAt = new Date(Date.now() + this.expiresInMs).toISOString();
      return send(201, this.state());
    }
    if (this.failPolls > 0) {
      this.failPolls--;
      return send(500, { message: 'internal error' });
    }
    const wait = Number.parseInt(
      new URL(req.url!, 'https://x').searchParams.get('wait') ?? '0',
      10,
    );
    if (this.phase !== 'Pending') return send(200, this.state());
    const wake = () => {
      this.waiters.delete(wake);
      clearTimeout(timer);
      send(200, this.state());
    };
    const timer = setTimeout(wake, wait * 1_000);
    this.waiters.add(wake);
  }
}

const ask: ApprovalAsk = {
  policy: 'orders-rw',
  dataSource: 'orders',
  identity: 'alice@example.com',
  session: 'sess-1',
  operation: {
    kind: 'statement',
    statement: 'DELETE FROM orders WHERE id = 7',
    classes: ['delete'],
  },
  reason: 'delete on public.orders needs approval',
};

let dir: string;
let cert: Awaited<ReturnType<typeof createSelfSignedCertificate>>;
let server: ApprovalsServer;
let channel: OperatorApprovalChannel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'approval-channel-'));
  cert = await createSelfSignedCertificate(dir);
  await writeFile(join(dir, 'token'), 'pod-token\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  server = new ApprovalsServer();
  await server.start(cert);
  channel = new OperatorApprovalChannel({
    endpoint: { url: server.url, tokenFile: join(dir, 'token'), ca: cert.certPem },
    logger,
    waitSeconds: 5,
    retryMs: 20,
  });
});

afterEach(async () => {
  await server.stop();
});

describe('OperatorApprovalChannel', () => {
  it('files the request and resolves with the decision and who made it', async () => {
    const pending = channel.request(ask);
    setTimeout(() => server.decide('Approved'), 100);
    await expect(pending).resolves.toEqual({
      request: 'orders-rw-x1',
      phase: 'Approved',
      decidedBy: 'bob',
      comment: 'fine',
    });
    expect(server.posted).toEqual([ask]);
  });

  it('resolves Expired when nobody decides before expiresAt', async () => {
    server.expiresInMs = 300;
    const started = Date.now();
    await expect(channel.request(ask)).resolves.toMatchObject({ phase: 'Expired' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('retries a failed poll and still sees the denial', async () => {
    server.failPolls = 2;
    const pending = channel.request(ask);
    setTimeout(() => server.decide('Denied'), 150);
    await expect(pending).resolves.toMatchObject({ phase: 'Denied' });
  });

  it('rejects when the operator refuses to file the request', async () => {
    server.refusePost = 403;
    await expect(channel.request(ask)).rejects.toThrow(ApprovalRequestError);
    await expect(channel.request(ask)).rejects.toThrow(/403\): not for this pod/);
  });

  it('gives up as Expired when the client leaves', async () => {
    const controller = new AbortController();
    const pending = channel.request(ask, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(pending).resolves.toMatchObject({ phase: 'Expired' });
  });
});
