// The PostgreSQL that e2e/kind/run.sh deploys into the kind cluster (e2e/kind/postgres.yaml).
// tests/kind-path.test.ts checks these against that file, so the two cannot drift.

/** Where the in-cluster database is, and what its minter may grant. */
export const KIND_DATABASE = {
  namespace: 'portcullis-e2e',
  service: 'postgres',
  port: 5432,
  database: 'orders',
  minterSecret: 'orders-minter',
  grantableRoles: ['reader', 'writer'],
} as const;

/** The spec of a DataSource for that database, as the in-cluster operator reaches it. */
export function kindDataSourceSpec(): Record<string, unknown> {
  const db = KIND_DATABASE;
  return {
    host: `${db.service}.${db.namespace}.svc`,
    port: db.port,
    database: db.database,
    // The postgres image serves no TLS; the hop stays inside the cluster network.
    tls: { mode: 'disable' },
    minter: { secretRef: { name: db.minterSecret }, grantableRoles: [...db.grantableRoles] },
  };
}
