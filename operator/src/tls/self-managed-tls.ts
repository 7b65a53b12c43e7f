import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isConflict, isNotFound, type KubeClient } from '../kube/rest-client.js';
import { patchCaBundles } from './ca-bundle-patcher.js';
import type { ServingMaterial, ServingTls } from './serving-tls.js';
import {
  DEFAULT_ROTATION,
  nextTlsData,
  TlsSecretKeys,
  type RotationPolicy,
  type TlsSecretData,
} from './tls-rotation.js';

export interface SelfManagedTlsOptions {
  client: Pick<KubeClient, 'request'>;
  /** The operator's namespace, where the Secret lives. */
  namespace: string;
  secretName: string;
  /** SANs the serving certificate must carry (see serviceSans). */
  sans: string[];
  /** Mutating and Validating WebhookConfigurations to patch the CA into; none when omitted. */
  webhookConfigName?: string;
  /** Only the leader creates, rotates and patches; the others read what it wrote. */
  isLeader: () => boolean;
  log: Logger;
  /** How often the Secret is checked (default 60 s; 1 s while nothing is loaded yet). */
  intervalMs?: number;
  rotation?: RotationPolicy;
  now?: () => Date;
}

interface SecretObject {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

/**
 * The self-managed webhook certificate: a CA and a serving certificate kept in a Secret in
 * the operator's namespace. The leader creates it, rotates it before expiry and patches the
 * CA into the webhook configurations; every replica serves whatever the Secret holds.
 */
export class SelfManagedTls implements ServingTls {
  private material: ServingMaterial | undefined;
  private readonly listeners = new Set<(material: ServingMaterial) => void>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private patchedCa: string | undefined;

  constructor(private readonly options: SelfManagedTlsOptions) {}

  async start(signal?: AbortSignal): Promise<void> {
    const both =
      signal === undefined ? this.stopping.signal : AbortSignal.any([signal, this.stopping.signal]);
    while (this.material === undefined) {
      await this.syncLogged();
      if (this.material === undefined) await sleep(1_000, undefined, { signal: both });
    }
    this.loop = this.run();
  }

  current(): ServingMaterial {
    if (this.material === undefined) throw new Error('TLS material not loaded: call start() first');
    return this.material;
  }

  onChange(listener: (material: ServingMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** One pass: read the Secret; as leader, create or rotate it and patch the caBundle. */
  async sync(): Promise<void> {
    const { client, namespace, secretName, log } = this.options;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(secretName)}`;
    let secret: SecretObject | undefined;
    try {
      secret = await client.request<SecretObject>(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    let data = decode(secret?.data);

    if (this.options.isLeader()) {
      const now = this.options.now?.() ?? new Date();
      const next = await nextTlsData(
        data,
        this.options.sans,
        now,
        this.options.rotation ?? DEFAULT_ROTATION,
      );
      if (next !== undefined) {
        const written = await this.write(path, secret, next);
        if (!written) return;
        log.info(
          { namespace, secret: secretName },
          secret === undefined ? 'created webhook certificate' : 'rotated webhook certificate',
        );
        data = next;
      }
      if (
        this.options.webhookConfigName !== undefined &&
        data[TlsSecretKeys.trustBundle] !== this.patchedCa
      ) {
        await patchCaBundles(
          client,
          this.options.webhookConfigName,
          data[TlsSecretKeys.trustBundle]!,
          log,
        );
        this.patchedCa = data[TlsSecretKeys.trustBundle];
      }
    } else {
      // Patch again when this replica leads later, whatever an earlier term patched.
      this.patchedCa = undefined;
    }
    this.adopt(data);
  }

  private async write(
    path: string,
    secret: SecretObject | undefined,
    data: TlsSecretData,
  ): Promise<boolean> {
    const { client, namespace, secretName, log } = this.options;
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: secretName,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'portcullis-operator' },
        ...(secret?.metadata?.resourceVersion === undefined
          ? {}
          : { resourceVersion: secret.metadata.resourceVersion }),
      },
      data: Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
    };
    try {
      if (secret === undefined) {
        await client.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`, {
          method: 'POST',
          body,
        });
      } else {
        await client.request(path, { method: 'PUT', body });
      }
      return true;
    } catch (err) {
      // Another writer got there first (a leader change mid-write): read its result next pass.
      if (!isConflict(err)) throw err;
      log.info({ namespace, secret: secretName }, 'TLS Secret changed while writing; rereading');
      return false;
    }
  }

  private adopt(data: Partial<TlsSecretData>): void {
    const certPem = data[TlsSecretKeys.cert];
    const keyPem = data[TlsSecretKeys.key];
    if (certPem === undefined || keyPem === undefined) return;
    const caPem = data[TlsSecretKeys.trustBundle];
    const m = this.material;
    if (m !== undefined && m.certPem === certPem && m.keyPem === keyPem && m.caPem === caPem)
      return;

    this.material = { certPem, keyPem, caPem };
    for (const listener of this.listeners) listener(this.material);
  }

  private async syncLogged(): Promise<void> {
    try {
      await this.sync();
    } catch (err) {
      this.options.log.error(
        { err, secret: this.options.secretName },
        'webhook certificate sync failed',
      );
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await sleep(this.options.intervalMs ?? 60_000, undefined, { signal });
      } catch {
        return;
      }
      await this.syncLogged();
    }
  }
}

function decode(data: Record<string, string> | undefined): Partial<TlsSecretData> {
  return Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}
