import {
  formatManifestProblems,
  parseManifests,
  secretValue,
  type AccessPolicy,
  type DataSource,
  type PortcullisResource,
} from '@portcullis/crds';
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import type { PolicySnapshot, PolicySource } from './policy-source.js';

/** Raised when the policy directory cannot be read or any manifest in it is invalid. */
export class PolicyFilesError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyFilesError';
  }
}

/** Options of a FilePolicySource. */
export interface FilePolicySourceOptions {
  /** Directory with DataSource, AccessPolicy and Secret manifests (*.yaml, *.yml, *.json). */
  dir: string;
  logger: Logger;
  /** Reload on changes in the directory. Default true. */
  watch?: boolean;
  /** Quiet time after the last change before reloading. Default 200 ms. */
  debounceMs?: number;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Standalone mode's policies: every manifest in one directory. Fails closed: the first load
 * throws with every problem of every file, and a reload that finds a problem replaces the
 * snapshot with an empty one (every new session refused) until the files are fixed.
 */
export class FilePolicySource implements PolicySource {
  private snapshot: PolicySnapshot | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(next: PolicySnapshot) => void>();

  constructor(private readonly options: FilePolicySourceOptions) {}

  async start(): Promise<PolicySnapshot> {
    this.snapshot = await loadPolicyDirectory(this.options.dir);
    this.options.logger.info(
      {
        dir: this.options.dir,
        dataSources: this.snapshot.dataSources.length,
        policies: this.snapshot.policies.length,
        version: this.snapshot.version,
      },
      'policies loaded',
    );
    if (this.options.watch ?? true) {
      this.watcher = watch(this.options.dir, () => this.scheduleReload());
      this.watcher.on('error', (error) =>
        this.options.logger.warn({ err: error }, 'cannot watch the policy directory'),
      );
    }
    return this.snapshot;
  }

  current(): PolicySnapshot {
    if (!this.snapshot) throw new PolicyFilesError('policies read before start()');
    return this.snapshot;
  }

  onChange(listener: (next: PolicySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    return Promise.resolve();
  }

  /** Reads the directory again now; applies and announces the result if it changed. */
  async reload(): Promise<void> {
    let next: PolicySnapshot;
    try {
      next = await loadPolicyDirectory(this.options.dir);
      this.options.logger.info({ version: next.version }, 'policies reloaded');
    } catch (error) {
      this.options.logger.error(
        { err: error },
        'policy files are invalid; refusing every new session until they are fixed',
      );
      next = emptySnapshot();
    }
    if (next.version === this.snapshot?.version) return;
    this.snapshot = next;
    for (const listener of this.listeners) listener(next);
  }

  private scheduleReload(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 200);
    this.timer.unref();
  }
}

/** Loads every manifest file of dir into a snapshot; throws PolicyFilesError listing all problems. */
export async function loadPolicyDirectory(dir: string): Promise<PolicySnapshot> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => MANIFEST_EXTENSIONS.has(extname(name))).sort();
  } catch (error) {
    throw new PolicyFilesError(`cannot read the policy directory ${dir}`, { cause: error });
  }

  const hash = createHash('sha256');
  const texts: string[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    hash.update(name).update('\0').update(text).update('\0');
    texts.push(text);
    const parsed = parseManifests(text, { foreign: 'skip' });
    if (!parsed.ok) problems.push(`${name}:\n${indent(formatManifestProblems(parsed.problems))}`);
  }
  if (problems.length > 0) {
    throw new PolicyFilesError(`invalid manifests in ${dir}:\n${problems.join('\n')}`);
  }

  // References (a policy's DataSource, the minter Secret) may cross files: check them together.
  const all = parseManifests(texts.join('\n---\n'), { foreign: 'skip', checkReferences: true });
  if (!all.ok) {
    throw new PolicyFilesError(
      `manifests in ${dir} refer to objects that are missing:\n${indent(formatManifestProblems(all.problems))}`,
    );
  }
  return snapshotOf(all.resources, hash.digest('hex').slice(0, 16));
}

function snapshotOf(resources: PortcullisResource[], version: string): PolicySnapshot {
  const dataSources: DataSource[] = [];
  const policies: AccessPolicy[] = [];
  const secrets = new Map<string, Record<string, string>>();
  for (const resource of resources) {
    if (resource.kind === 'DataSource') dataSources.push(resource);
    else if (resource.kind === 'AccessPolicy') policies.push(resource);
    else if (resource.kind === 'Secret') {
      const keys = new Set([
        ...Object.keys(resource.data ?? {}),
        ...Object.keys(resource.stringData ?? {}),
      ]);
      const values: Record<string, string> = {};
      for (const key of keys) values[key] = secretValue(resource, key) ?? '';
      secrets.set(resource.metadata.name, values);
    }
  }
  return { dataSources, policies, secrets, version };
}

function emptySnapshot(): PolicySnapshot {
  return { dataSources: [], policies: [], secrets: new Map(), version: 'invalid' };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
