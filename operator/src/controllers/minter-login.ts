import type { DataSource } from '@portcullis/crds';
import type { ClientConfig } from 'pg';

/** Reads a Secret's data by namespace and name (ClusterCache.getSecretData fits). */
export type SecretReader = (namespace: string, name: string) => Record<string, Buffer> | undefined;

/** The minter's login and the upstream CA, as read from the DataSource's Secrets. */
export interface MinterLogin {
  username: string;
  password: string;
  /** PEM CA bundle for tls.mode verify-full, when a caSecretRef names one. */
  ca?: string;
}

/** A Secret or a key in it that the DataSource names is missing. */
export class SecretNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretNotFoundError';
  }
}

function secretKey(secrets: SecretReader, namespace: string, name: string, key: string): string {
  const data = secrets(namespace, name);
  if (data === undefined) throw new SecretNotFoundError(`Secret ${namespace}/${name} not found`);
  const value = data[key];
  if (value === undefined || value.length === 0) {
    throw new SecretNotFoundError(`Secret ${namespace}/${name} has no key "${key}"`);
  }
  return value.toString('utf8');
}

/** Reads the minter login (and the CA, for verify-full) from the Secrets the DataSource names. */
export function readMinterLogin(dataSource: DataSource, secrets: SecretReader): MinterLogin {
  const namespace = dataSource.metadata.namespace ?? 'default';
  const { secretRef } = dataSource.spec.minter;
  const login: MinterLogin = {
    username: secretKey(secrets, namespace, secretRef.name, secretRef.usernameKey),
    password: secretKey(secrets, namespace, secretRef.name, secretRef.passwordKey),
  };
  const caRef = dataSource.spec.tls.caSecretRef;
  if (dataSource.spec.tls.mode === 'verify-full' && caRef !== undefined) {
    login.ca = secretKey(secrets, namespace, caRef.name, caRef.key);
  }
  return login;
}

/**
 * The node-postgres settings for the minter login, with TLS as the DataSource says:
 * require encrypts without checking the certificate (as libpq's sslmode=require does),
 * verify-full checks the chain (against the CA given, else the system roots) and the host
 * (node-postgres sends the host as SNI and checks the name against it).
 */
export function minterClientConfig(dataSource: DataSource, login: MinterLogin): ClientConfig {
  const { host, port, database, tls } = dataSource.spec;
  let ssl: ClientConfig['ssl'] = false;
  if (tls.mode === 'require') ssl = { rejectUnauthorized: false };
  if (tls.mode === 'verify-full') {
    ssl = { rejectUnauthorized: true, ...(login.ca ? { ca: login.ca } : {}) };
  }
  return {
    host,
    port,
    database,
    user: login.username,
    password: login.password,
    ssl,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 15_000,
    application_name: 'portcullis-operator',
  };
}
