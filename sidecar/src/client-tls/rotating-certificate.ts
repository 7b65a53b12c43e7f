import { stat } from 'node:fs/promises';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { ClientTlsError, readCertificatePair, type CertificatePair } from './certificate-pair.js';

/** Where the gate's client-side certificate and key are. */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/**
 * The certificate the gate serves to its clients, re-read when its files change: a mounted
 * Kubernetes Secret or cert-manager replaces them in place. A new pair is taken only when its
 * key belongs to its certificate; until then the last good pair keeps serving.
 */
export class RotatingCertificate {
  /** The stamp of files found unusable, so that they are warned about once. */
  private rejected: string | undefined;
  private checking: Promise<void> | undefined;

  private constructor(
    private readonly files: CertificateFiles,
    private readonly logger: Logger,
    private pair: CertificatePair,
    private stamp: string,
  ) {}

  /** Reads the pair; throws ClientTlsError when it cannot serve, which stops the gate starting. */
  static async load(files: CertificateFiles, logger: Logger): Promise<RotatingCertificate> {
    // Stamped before reading: a change while the files are read shows at the next check.
    const stamp = await fileStamp(files);
    const pair = await readCertificatePair(files.certFile, files.keyFile);
    logger.info(describe(pair), 'client TLS certificate loaded');
    return new RotatingCertificate(files, logger, pair, stamp);
  }

  /**
   * The context for a new TLS connection. Runs at each SSLRequest: two stat calls, and a
   * re-read only when either file's inode, mtime or size changed.
   */
  async context(): Promise<SecureContext> {
    this.checking ??= this.check().finally(() => (this.checking = undefined));
    await this.checking;
    return this.pair.context;
  }

  private async check(): Promise<void> {
    let stamp: string;
    try {
      stamp = await fileStamp(this.files);
    } catch (error) {
      // Warned about once while they stay unreadable (a Secret being replaced, say).
      return this.keepServing('unreadable', error);
    }
    if (stamp === this.stamp || stamp === this.rejected) return;

    let pair: CertificatePair;
    try {
      pair = await readCertificatePair(this.files.certFile, this.files.keyFile);
    } catch (error) {
      return this.keepServing(stamp, error);
    }
    this.pair = pair;
    this.stamp = stamp;
    this.rejected = undefined;
    this.logger.info(describe(pair), 'client TLS certificate reloaded');
  }

  private keepServing(stamp: string, error: unknown): void {
    if (stamp === this.rejected) return;
    this.rejected = stamp;
    this.logger.warn(
      { err: error, fingerprint: this.pair.fingerprint },
      'the client TLS files changed but cannot be used; the last good certificate still serves',
    );
  }
}

/** Changes whenever either file is replaced or rewritten (stat follows Secret symlinks). */
async function fileStamp(files: CertificateFiles): Promise<string> {
  try {
    const stats = await Promise.all([stat(files.certFile), stat(files.keyFile)]);
    return stats.map((s) => `${s.ino}:${s.mtimeMs}:${s.size}`).join('|');
  } catch (error) {
    throw new ClientTlsError('cannot read the client TLS certificate and key', { cause: error });
  }
}

function describe(pair: CertificatePair): Record<string, string> {
  return { fingerprint: pair.fingerprint, subject: pair.subject, validTo: pair.validTo };
}
