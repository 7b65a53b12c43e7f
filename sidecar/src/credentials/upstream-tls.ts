import type { DataSource, TlsMode } from '@portcullis/crds';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { PolicySnapshot } from '../policy/policy-source.js';

/** How the gate secures its connections to one DataSource's server. */
export interface UpstreamTls {
  mode: TlsMode;
  /** PEM CA bundle for verify-full. */
  ca: string | undefined;
}

/** Raised when a DataSource's TLS settings cannot be met from the snapshot. */
export class UpstreamTlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamTlsConfigError';
  }
}

/** The TLS settings of dataSource, its CA read from the snapshot's Secrets. */
export function upstreamTls(dataSource: DataSource, snapshot: PolicySnapshot): UpstreamTls {
  const { mode, caSecretRef } = dataSource.spec.tls;
  if (mode !== 'verify-full' || caSecretRef === undefined) return { mode, ca: undefined };

  const ca = snapshot.secrets.get(caSecretRef.name)?.[caSecretRef.key];
  if (ca === undefined) {
    throw new UpstreamTlsConfigError(
      `DataSource ${dataSource.metadata.name}: CA Secret ${caSecretRef.name} has no key ${caSecretRef.key}`,
    );
  }
  return { mode, ca };
}

/**
 * Node TLS options for a mode: require encrypts without checking the certificate (as libpq's
 * sslmode=require); verify-full checks the chain against the CA (the system store without
 * one) and the host name.
 */
export function tlsConnectionOptions(tls: UpstreamTls, host: string): ConnectionOptions {
  // host is what the certificate is checked against; SNI (servername) takes names only.
  const options: ConnectionOptions = { host, rejectUnauthorized: tls.mode === 'verify-full' };
  if (tls.ca !== undefined) options.ca = tls.ca;
  if (isIP(host) === 0) options.servername = host;
  return options;
}
