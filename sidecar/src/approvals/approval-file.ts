import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApprovalAsk } from './operator-channel.js';

/** A held operation as the local queue stores it: `<dir>/<name>.json`, written once. */
export interface LocalRequest {
  name: string;
  createdAt: string;
  /** When the gate stops waiting; a decision after this is refused. */
  expiresAt: string;
  ask: ApprovalAsk;
  /** Who may decide, copied from the policy when the request was filed. */
  approvers: { users: string[]; groups: string[] };
}

/** A decision on a request: `<dir>/<name>.decision.json`, created once, never replaced. */
export interface LocalDecision {
  /** withdraw: the gate stopped waiting (the client cancelled or left) before anyone decided. */
  verdict: 'approve' | 'deny' | 'withdraw';
  decidedBy: string;
  /** The decider's groups as the CLI saw them, for the gate's re-check. */
  groups?: string[];
  decidedAt: string;
  comment?: string;
}

/** A request and, when someone decided, the decision. */
export interface QueuedRequest {
  request: LocalRequest;
  decision: LocalDecision | undefined;
}

/** Raised for a request name that is not in the queue or not a valid name. */
export class UnknownRequestError extends Error {
  constructor(name: string, options?: ErrorOptions) {
    super(`no approval request named "${name}"`, options);
    this.name = 'UnknownRequestError';
  }
}

/** Raised when a decision already exists: the first one stands. */
export class AlreadyDecidedError extends Error {
  constructor(name: string, options?: ErrorOptions) {
    super(`approval request "${name}" is already decided`, options);
    this.name = 'AlreadyDecidedError';
  }
}

// Names become file names: keep them to what generateName in Kubernetes would produce.
const NAME = /^[a-z0-9][a-z0-9.-]{0,120}$/;

/** A fresh request name: the policy's name and a random suffix, like generateName. */
export function requestName(policy: string): string {
  const base = policy
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return `${base.slice(0, 60) || 'request'}-${randomBytes(4).toString('hex')}`;
}

/**
 * The approval queue in one directory. Every file is written to a temporary name and then
 * moved into place, so a reader never sees half a file; a decision is put in place with
 * link(2), which fails when the target exists, so two deciders cannot both win.
 */
export class ApprovalQueue {
  constructor(readonly dir: string) {}

  /** Creates the directory, readable by its owner only (the queue decides what runs). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async add(request: LocalRequest): Promise<void> {
    const path = this.requestPath(request.name);
    const temp = await this.writeTemp(request);
    await rename(temp, path);
  }

  /** Writes the decision unless one exists; throws AlreadyDecidedError then. */
  async decide(name: string, decision: LocalDecision): Promise<void> {
    await this.get(name);
    const temp = await this.writeTemp(decision);
    try {
      await link(temp, this.decisionPath(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new AlreadyDecidedError(name, { cause: error });
      }
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** The request and its decision; throws UnknownRequestError. */
  async get(name: string): Promise<QueuedRequest> {
    if (!NAME.test(name)) throw new UnknownRequestError(name);
    let request: LocalRequest;
    try {
      request = JSON.parse(await readFile(this.requestPath(name), 'utf8')) as LocalRequest;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UnknownRequestError(name, { cause: error });
      }
      throw error;
    }
    return { request, decision: await this.decision(name) };
  }

  /** The decision on a request, or undefined while nobody decided. */
  async decision(name: string): Promise<LocalDecision | undefined> {
    try {
      return JSON.parse(await readFile(this.decisionPath(name), 'utf8')) as LocalDecision;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Every request in the queue, oldest first. */
  async list(): Promise<QueuedRequest[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const names = files
      .filter((file) => file.endsWith('.json') && !file.endsWith('.decision.json'))
      .map((file) => file.slice(0, -'.json'.length))
      .filter((name) => NAME.test(name));
    const all = await Promise.all(names.map((name) => this.get(name)));
    return all.sort((a, b) => a.request.createdAt.localeCompare(b.request.createdAt));
  }

  private requestPath(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  private decisionPath(name: string): string {
    return join(this.dir, `${name}.decision.json`);
  }

  private async writeTemp(content: unknown): Promise<string> {
    const temp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return temp;
  }
}
