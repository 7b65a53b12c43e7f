import { z } from 'zod';
import {
  columnKeyedMap,
  conditionSchema,
  GROUP_VERSION,
  objectMetaSchema,
  objectNameSchema,
  secretKeySelectorSchema,
  sqlIdentifierSchema,
} from './common.js';
import { withRules } from './validation-rule.js';

/** How the sidecar secures its connection to PostgreSQL. */
export const TLS_MODES = ['disable', 'require', 'verify-full'] as const;

const upstreamTlsSchema = withRules(
  z.strictObject({
    mode: z
      .enum(TLS_MODES)
      .default('require')
      .describe(
        'disable: plain TCP; require: TLS without checking the certificate; verify-full: TLS ' +
          'with the certificate checked against the CA and the host name.',
      ),
    caSecretRef: secretKeySelectorSchema
      .optional()
      .describe('Secret key holding the PEM CA bundle for verify-full; system roots if omitted.'),
  }),
  {
    rule: "self.mode == 'verify-full' || !has(self.caSecretRef)",
    message: 'caSecretRef is only used with mode verify-full',
    fieldPath: '.caSecretRef',
    holds: (tls) => tls.mode === 'verify-full' || tls.caSecretRef === undefined,
  },
);

const minterSchema = z.strictObject({
  secretRef: z
    .strictObject({
      name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
      usernameKey: z
        .string()
        .min(1)
        .max(253)
        .default('username')
        .describe('Key holding the role name.'),
      passwordKey: z
        .string()
        .min(1)
        .max(253)
        .default('password')
        .describe('Key holding the password.'),
    })
    .describe(
      'Secret with the login of a role that may CREATE ROLE and grant grantableRoles. Only ' +
        'the sidecars of pods a policy selects receive it.',
    ),
  grantableRoles: z
    .array(sqlIdentifierSchema)
    .min(1)
    .max(32)
    .describe(
      'Roles minted roles may be made members of; on PostgreSQL 16+ the minter needs ADMIN ' +
        'OPTION on each. An AccessPolicy may only grant one of these.',
    ),
  roleNamePrefix: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,15}$/, 'must be a lowercase identifier prefix of at most 16 bytes')
    .default('portcullis_')
    .describe('Prefix of every minted role name; the reaper only drops roles with it.'),
  poolSize: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(2)
    .describe('Minter connections each sidecar keeps open.'),
});

/** What a DataSource says about its database: where it is and how roles are minted there. */
export const dataSourceSpecSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .max(253)
      .describe('Host name or IP address of the PostgreSQL server, as the sidecar reaches it.'),
    port: z.number().int().min(1).max(65535).default(5432).describe('TCP port of the server.'),
    database: z.string().min(1).max(63).describe('Database sessions connect to.'),
    tls: upstreamTlsSchema.prefault({}).describe('TLS between the sidecar and the server.'),
    minter: minterSchema.describe('How the sidecar mints a short-lived role for each session.'),
    classification: columnKeyedMap(
      z
        .string()
        .max(63)
        .regex(/^[a-z][a-z0-9_-]*$/, 'must be a lowercase kind name such as email'),
      512,
    )
      .default({})
      .describe(
        'Which columns hold which kind of sensitive data, as schema.table.column: kind (for ' +
          'example public.customers.email: email). Masking rules refer to the kinds.',
      ),
    localPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('Loopback port the sidecar listens on for this database (default 5432, then up).'),
  })
  .describe('The database, and how the sidecar reaches it and mints roles on it.');

/** DataSource status, written by the operator through the status subresource. */
export const dataSourceStatusSchema = z
  .strictObject({
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation this status was computed from.'),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .optional()
      .describe('Ready: the minter logs in and may create roles.'),
    serverVersion: z
      .string()
      .max(256)
      .optional()
      .describe('server_version as PostgreSQL reports it.'),
    mintedRoles: z.number().int().min(0).optional().describe('Minted roles alive on the server.'),
  })
  .describe('What the operator last observed; written by the operator only.');

/** A whole DataSource object as stored and as written in a manifest. */
export const dataSourceSchema = z.strictObject({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('DataSource'),
  metadata: objectMetaSchema,
  spec: dataSourceSpecSchema,
  status: dataSourceStatusSchema.optional(),
});

export type DataSourceSpec = z.infer<typeof dataSourceSpecSchema>;
export type DataSourceStatus = z.infer<typeof dataSourceStatusSchema>;
export type DataSource = z.infer<typeof dataSourceSchema>;
export type TlsMode = (typeof TLS_MODES)[number];
