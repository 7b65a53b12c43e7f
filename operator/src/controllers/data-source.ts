import type { DataSource } from '@portcullis/crds';
import type { InformerEvent } from '../kube/informer.js';
import { findCondition, setCondition } from '../kube/conditions.js';
import { jittered } from '../kube/backoff.js';
import { Resources } from '../kube/resources.js';
import { patchStatus } from '../kube/status.js';
import { objectKey, splitKey } from '../kube/store.js';
import { WorkQueue } from '../kube/work-queue.js';
import type { CachedSecret } from '../kube/cache.js';
import type { ControllerContext } from './controller-context.js';
import { probeDataSource, type DataSourceProbe } from './data-source-probe.js';
import { statusChanged } from './status-diff.js';

export interface DataSourceControllerOptions {
  /** Mean time between checks of one DataSource, jittered (default 60 s). */
  resyncMs?: number;
  /** How long past expiry a minted role is left for its sidecar to drop (default 60 s). */
  reapGraceSeconds?: number;
  concurrency?: number;
}

/**
 * Keeps each DataSource's status true: logs in as its minter, reports Ready with a reason,
 * the server version and the number of minted roles, and reaps expired minted roles. Runs
 * on the leader only; a new leader checks every DataSource at once.
 */
export class DataSourceController {
  private readonly ctx: ControllerContext;
  private readonly options: DataSourceControllerOptions;
  private readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;
  // Roles whose reaping failed and was reported, so a stuck role yields one Event, not one a minute.
  private readonly reportedReapFailures = new Map<string, Set<string>>();

  constructor(ctx: ControllerContext, options: DataSourceControllerOptions = {}) {
    this.ctx = ctx;
    this.options = options;
    this.queue = new WorkQueue({
      handler: (key) => this.reconcile(key),
      concurrency: options.concurrency ?? 4,
      onError: (key, err, attempt) => {
        const { namespace, name } = splitKey(key);
        ctx.logger.error({ err, namespace, name, attempt }, 'DataSource reconcile failed');
        ctx.metrics.reconciles.inc({ kind: 'DataSource', result: 'error' });
      },
    });
  }

  /** Starts reacting to cache changes. */
  start(): void {
    this.unsubscribe = this.ctx.cache.onChange((change) => {
      if (change.kind === 'DataSource') this.onDataSource(change.event);
      if (change.kind === 'Secret') this.onSecret(change.event.object);
    });
  }

  /** Queues every DataSource; called when this replica becomes the leader. */
  enqueueAll(): void {
    for (const dataSource of this.ctx.cache.listDataSources())
      this.queue.add(objectKey(dataSource));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.queue.stop();
  }

  private onDataSource(event: InformerEvent<DataSource>): void {
    // Our own status writes come back as updates; only spec changes need a new look now.
    if (
      event.type === 'update' &&
      event.old.metadata.generation === event.object.metadata.generation
    ) {
      return;
    }
    if (event.type !== 'delete') this.queue.add(objectKey(event.object));
  }

  private onSecret(secret: CachedSecret): void {
    const namespace = secret.metadata?.namespace;
    const name = secret.metadata?.name;
    if (namespace === undefined || name === undefined) return;
    for (const dataSource of this.ctx.cache.listDataSources(namespace)) {
      const { minter, tls } = dataSource.spec;
      if (minter.secretRef.name === name || tls.caSecretRef?.name === name) {
        this.queue.add(objectKey(dataSource));
      }
    }
  }

  private async reconcile(key: string): Promise<void> {
    const { ctx } = this;
    if (!ctx.leadership.isLeader) {
      ctx.metrics.reconciles.inc({ kind: 'DataSource', result: 'skipped' });
      return;
    }
    const { namespace = 'default', name } = splitKey(key);
    const dataSource = ctx.cache.getDataSource(namespace, name);
    if (dataSource === undefined) {
      this.reportedReapFailures.delete(key);
      return;
    }

    const probe = await probeDataSource(dataSource, {
      secrets: (ns, secretName) => ctx.cache.getSecretData(ns, secretName),
      reap: true,
      reapGraceSeconds: this.options.reapGraceSeconds,
    });
    await this.report(dataSource, probe);
    ctx.metrics.reconciles.inc({ kind: 'DataSource', result: 'ok' });
    this.queue.addAfter(key, jittered(this.options.resyncMs ?? 60_000));
  }

  private async report(dataSource: DataSource, probe: DataSourceProbe): Promise<void> {
    const { ctx } = this;
    const { namespace, name, generation } = dataSource.metadata;
    const log = ctx.logger.child({ namespace, name, kind: 'DataSource' });
    const previous = findCondition(dataSource.status?.conditions, 'Ready');

    const status: Record<string, unknown> = {
      observedGeneration: generation,
      conditions: setCondition(dataSource.status?.conditions, probe.ready, generation, new Date()),
    };
    if (probe.serverVersion !== undefined) status.serverVersion = probe.serverVersion;
    if (probe.mintedRoles !== undefined) status.mintedRoles = probe.mintedRoles;
    if (statusChanged(dataSource.status, status)) {
      // Leadership may have passed while we probed; a former leader must not write.
      if (!ctx.leadership.isLeader) return;
      await patchStatus(ctx.client, Resources.dataSources, dataSource, status);
    }

    if (previous?.status !== probe.ready.status || previous.reason !== probe.ready.reason) {
      const ready = probe.ready.status === 'True';
      log[ready ? 'info' : 'warn']({ reason: probe.ready.reason }, probe.ready.message);
      await ctx.events.record(Resources.dataSources, dataSource, {
        type: ready ? 'Normal' : 'Warning',
        reason: probe.ready.reason,
        note: probe.ready.message,
        action: 'CheckMinter',
      });
    }

    const reaped = probe.reap?.reaped ?? [];
    if (reaped.length > 0) {
      ctx.metrics.reapedRoles.inc({ namespace, datasource: name }, reaped.length);
      log.info({ roles: reaped }, 'reaped expired minted roles');
      await ctx.events.record(Resources.dataSources, dataSource, {
        type: 'Normal',
        reason: 'RolesReaped',
        note: `dropped ${reaped.length} expired minted role(s): ${reaped.join(', ')}`,
        action: 'Reap',
      });
    }
    const key = objectKey(dataSource);
    const reported = this.reportedReapFailures.get(key) ?? new Set<string>();
    const failed = probe.reap?.failed ?? [];
    this.reportedReapFailures.set(key, new Set(failed.map((f) => f.role)));
    for (const failure of failed) {
      if (reported.has(failure.role)) continue;
      log.warn({ err: failure.error, role: failure.role }, 'could not reap an expired role');
      await ctx.events.record(Resources.dataSources, dataSource, {
        type: 'Warning',
        reason: 'ReapFailed',
        note: `could not drop expired role ${failure.role}: ${failure.error.message}`,
        action: 'Reap',
      });
    }
  }
}
