import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { standaloneControls } from '../../src/approvals/standalone-controls.js';
import { parseWorkloadIdentity } from '../../src/identity/workload-identity.js';
import { createGateMetrics, type GateMetrics } from '../../src/observability/gate-metrics.js';
import { FilePolicySource } from '../../src/policy/file-source.js';
import type { PolicySnapshot, PolicySource } from '../../src/policy/policy-source.js';
import { Gate } from '../../src/session/gate.js';
import { testLogger, type Upstream } from './gate-fixture.js';
import { testManifests } from './manifests.js';

/** What the AccessPolicy and DataSource of a controlled gate add to the test manifests. */
export interface ControlledPolicy {
  approval?: unknown;
  limits?: unknown;
  recording?: unknown;
  masking?: unknown;
  classification?: Record<string, string>;
}

/** A gate with approvals (a local queue), row limits and optionally a recording file. */
export interface ControlledGate {
  port: number;
  approvalsDir: string;
  recordFile: string;
  metrics: GateMetrics;
  url: () => string;
  /**
   * Says that this many pods share each row-limited policy, as the operator's bundle would
   * (PolicySnapshot.rowShares); a new snapshot reaches the gate's sessions.
   */
  shareRows: (pods: number) => void;
  /** Stops the gate and flushes the recording; the directory stays until cleanup(). */
  stop: () => Promise<void>;
  cleanup: () => Promise<void>;
}

/** The OS user the tests run as: the approver the CLI decides as. */
export const approver = userInfo().username;

/** Starts a gate in this process whose policy carries the given approval, limits and recording. */
export async function startControlledGate(
  upstream: Upstream,
  policy: ControlledPolicy,
  options: { record?: boolean; rowShare?: number } = {},
): Promise<ControlledGate> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-controlled-'));
  const policies = join(dir, 'policies');
  const approvalsDir = join(dir, 'approvals');
  const recordFile = join(dir, 'record.jsonl');
  await mkdir(policies);
  await writeFile(join(policies, 'policies.yaml'), manifests(upstream, policy));

  const logger = testLogger();
  const source = new SharedRowsSource(
    new FilePolicySource({ dir: policies, logger, watch: false }),
    options.rowShare,
  );
  const metrics = createGateMetrics({ processMetrics: false });
  const controls = standaloneControls({
    policies: () => source.current(),
    approvalsDir,
    record: options.record ? recordFile : undefined,
    metrics,
    logger,
  });
  const gate = await Gate.start({
    policySource: source,
    logger,
    workloadIdentity: parseWorkloadIdentity('system:serviceaccount:shop:web'),
    port: 0,
    reapIntervalMs: 0,
    controls: controls.controls,
    metrics,
  });
  const port = [...gate.addresses.values()][0]?.port ?? 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await gate.stop();
    await controls.close();
  };
  return {
    port,
    approvalsDir,
    recordFile,
    metrics,
    url: () => `postgresql://app:workload@127.0.0.1:${port}/app`,
    shareRows: (pods) => source.share(pods),
    stop,
    cleanup: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The test manifests with the policy's additions, as YAML. */
export function manifests(upstream: Upstream, policy: ControlledPolicy): string {
  const docs = parseAllDocuments(testManifests(upstream)).map((doc) => doc.toJS() as Manifest);
  for (const doc of docs) {
    if (doc.kind === 'DataSource' && policy.classification) {
      doc.spec.classification = policy.classification;
    }
    if (doc.kind !== 'AccessPolicy') continue;
    for (const key of ['approval', 'limits', 'recording', 'masking'] as const) {
      if (policy[key] !== undefined) doc.spec[key] = policy[key];
    }
  }
  return docs.map((doc) => stringify(doc)).join('---\n');
}

interface Manifest {
  kind: string;
  spec: Record<string, unknown>;
}

/**
 * A file source whose snapshots say how many pods share each row-limited policy, as the
 * operator's bundle does in Kubernetes mode (without a share: what the files say alone).
 */
class SharedRowsSource implements PolicySource {
  private readonly listeners = new Set<(next: PolicySnapshot) => void>();
  private changes = 0;

  constructor(
    private readonly files: FilePolicySource,
    private pods: number | undefined,
  ) {}

  async start(): Promise<PolicySnapshot> {
    await this.files.start();
    return this.current();
  }

  current(): PolicySnapshot {
    const snapshot = this.files.current();
    if (this.pods === undefined) return snapshot;
    const rowShares = new Map(snapshot.policies.map((p) => [p.metadata.name, this.pods ?? 1]));
    return { ...snapshot, rowShares, version: `${snapshot.version}+${this.changes}` };
  }

  onChange(listener: (next: PolicySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  share(pods: number): void {
    this.pods = pods;
    this.changes++;
    for (const listener of this.listeners) listener(this.current());
  }

  stop(): Promise<void> {
    return this.files.stop();
  }
}
