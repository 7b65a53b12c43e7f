import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** A policy bundle as GET /v1/bundle returns it; `version` doubles as the ETag. */
export type BundleBody = { version: string } & Record<string, unknown>;

/** An approval request as the stand-in holds it. */
export interface HeldApproval {
  name: string;
  ask: Record<string, unknown>;
  phase: 'Pending' | 'Approved' | 'Denied' | 'Expired';
  decidedBy?: string;
  comment?: string;
  expiresAt: string;
}

/**
 * A stand-in for the operator's sidecar API, speaking its protocol: GET /v1/bundle with ETag,
 * If-None-Match and ?wait long-poll; POST /v1/approvals and GET /v1/approvals/NAME?wait.
 * Tests change `current` or `refuse` and call publish(), or decide() a held approval.
 */
export class BundleServer {
  /** Status every request is answered with instead (401, 403, 500...), when set. */
  refuse: number | undefined;
  /** The Authorization header of every request, in order. */
  readonly tokens: string[] = [];
  readonly approvals = new Map<string, HeldApproval>();
  url = '';
  private readonly waiting = new Set<() => void>();
  private server: https.Server | undefined;

  constructor(public current: BundleBody) {}

  /** Listens on a free loopback port with cert (which is also its own CA). */
  async start(cert: { certPem: string; keyFile: string }): Promise<void> {
    const server = https.createServer(
      { cert: cert.certPem, key: await readFile(cert.keyFile, 'utf8') },
      (req, res) => this.handle(req, res),
    );
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Wakes every held long-poll to answer with what is current now. */
  publish(): void {
    for (const wake of [...this.waiting]) wake();
  }

  /** Decides a held approval, as a person with kubectl would through the operator. */
  decide(name: string, decision: Pick<HeldApproval, 'phase' | 'decidedBy' | 'comment'>): void {
    const held = this.approvals.get(name);
    if (!held) throw new Error(`no approval request ${name}`);
    Object.assign(held, decision);
    this.publish();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.publish();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.tokens.push(req.headers.authorization ?? '');
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const wait = url.searchParams.get('wait');
    if (this.refused(res)) return;
    if (url.pathname === '/v1/bundle') return this.bundle(req, res, wait);
    if (url.pathname === '/v1/approvals' && req.method === 'POST') return this.file(req, res);
    const held = this.approvals.get(
      decodeURIComponent(url.pathname.slice('/v1/approvals/'.length)),
    );
    if (url.pathname.startsWith('/v1/approvals/') && held) return this.approval(res, held, wait);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `no ${url.pathname}` }));
  }

  private bundle(req: IncomingMessage, res: ServerResponse, wait: string | null): void {
    const known = req.headers['if-none-match'];
    // A held poll answers with what holds when it wakes, a refusal included.
    const answer = (): void => {
      if (this.refused(res)) return;
      if (this.current.version === known) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { etag: this.current.version, 'content-type': 'application/json' });
      res.end(JSON.stringify(this.current));
    };
    if (known === undefined || known !== this.current.version || wait === null) return answer();
    this.hold(wait, answer);
  }

  private file(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const ask = JSON.parse(text) as Record<string, unknown>;
      const name = `${String(ask['policy'])}-${this.approvals.size + 1}`;
      const held: HeldApproval = {
        name,
        ask,
        phase: 'Pending',
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      };
      this.approvals.set(name, held);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ name, namespace: 'shop', phase: held.phase, expiresAt: held.expiresAt }),
      );
    });
  }

  private approval(res: ServerResponse, held: HeldApproval, wait: string | null): void {
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(held));
    };
    if (held.phase !== 'Pending' || wait === null) return answer();
    this.hold(wait, answer);
  }

  private refused(res: ServerResponse): boolean {
    if (this.refuse === undefined) return false;
    res.writeHead(this.refuse, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'pod not injected' }));
    return true;
  }

  /** Answers when publish() wakes it or the ?wait=Ns time ends, whichever is first. */
  private hold(wait: string, answer: () => void): void {
    const wake = (): void => {
      this.waiting.delete(wake);
      clearTimeout(timer);
      answer();
    };
    const timer = setTimeout(wake, Number.parseInt(wait, 10) * 1_000);
    this.waiting.add(wake);
  }
}
