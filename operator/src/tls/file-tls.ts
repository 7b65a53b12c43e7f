import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ServingMaterial, ServingTls } from './serving-tls.js';

export interface FileTlsOptions {
  certFile: string;
  keyFile: string;
  /** The CA bundle; cert-manager writes ca.crt beside tls.crt. Optional. */
  caFile?: string;
  log: Logger;
  /** How often the files are reread (default 10 s). */
  intervalMs?: number;
}

/**
 * Certificate files kept current by someone else: cert-manager's Secret mounted as a volume,
 * say. Kubelet swaps a mounted Secret's files atomically through a symlink, which file
 * watchers see unreliably, so the files are reread on a timer and compared.
 */
export class FileTls implements ServingTls {
  private material: ServingMaterial | undefined;
  private readonly listeners = new Set<(material: ServingMaterial) => void>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: FileTlsOptions) {}

  async start(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await this.reload();
    this.loop = this.run();
  }

  current(): ServingMaterial {
    if (this.material === undefined) throw new Error('TLS files not loaded: call start() first');
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

  /**
   * Reads the files; throws when the certificate or key cannot be read, or when they are not a
   * matching pair (a rotation caught half-written), so the last good pair stays in use.
   */
  async reload(): Promise<void> {
    const [certPem, keyPem, caPem] = await Promise.all([
      readFile(this.options.certFile, 'utf8'),
      readFile(this.options.keyFile, 'utf8'),
      this.options.caFile === undefined
        ? Promise.resolve(undefined)
        : readFile(this.options.caFile, 'utf8').then(
            // cert-manager leaves ca.crt empty for issuers that do not know their CA (ACME).
            (pem) => (pem.trim() === '' ? undefined : pem),
            () => undefined,
          ),
    ]);
    const m = this.material;
    if (m !== undefined && m.certPem === certPem && m.keyPem === keyPem && m.caPem === caPem)
      return;

    checkPair(certPem, keyPem, caPem);
    this.material = { certPem, keyPem, caPem };
    if (m !== undefined)
      this.options.log.info({ file: this.options.certFile }, 'TLS files changed; reloaded');
    for (const listener of this.listeners) listener(this.material);
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await sleep(this.options.intervalMs ?? 10_000, undefined, { signal });
      } catch {
        return;
      }
      try {
        await this.reload();
      } catch (err) {
        // Keep serving the last good pair; a half-written rotation is read again next time.
        this.options.log.warn(
          { err, file: this.options.certFile },
          'TLS files unreadable; keeping the last ones',
        );
      }
    }
  }
}

/** Throws unless certPem is a certificate whose key is keyPem and caPem (when given) parses. */
function checkPair(certPem: string, keyPem: string, caPem: string | undefined): void {
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new Error('the TLS certificate does not match its key');
  }
  if (caPem !== undefined) new X509Certificate(caPem);
}
