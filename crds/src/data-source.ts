import { z } from 'zod';
import {
  conditionSchema,
  GROUP_VERSION,
  objectMetaSchema,
  objectNameSchema,
  qualifiedColumnSchema,
  secretKeySelectorSchema,
  sqlIdentifierSchema,
} from './common.js';

export const TLS_MODES = ['disable', 'require', 'verify-full'] as const;

const upstreamTlsSchema = z.strictObject({
  mode: z
    .enum(TLS_MODES)
    .default('require')
    .describe(
      'disable: plain TCP; require: TLS without checking the certificate; verify-full: TLS ' +
        'with the certificate checked against the CA and the host name.',
    ),
  caSecretRef: secretKeySelectorSchema
    .optional()
    .describe('Secret key holding the PEM CA bundle for verify-full.'),
});

const minterSchema = z.strictObject({
  secretRef: z
    .strictObject({
      name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
      usernameKey: z.string().min(1).default('username').describe('Key holding the role name.'),
      passwordKey: z.string().min(1).default('password').describe('Key holding the password.'),
    })
    .describe('Secret with the login of a role that may CREATE ROLE and grant grantableRoles.'),
  grantableRoles: z
    .array(sqlIdentifierSchema)
    .min(1)
    .describe('Roles the minted roles may be made members of (the minter needs ADMIN OPTION).'),
  roleNamePrefix: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,15}$/, 'must be a lowercase identifier prefix of at most 16 bytes')
    .default('portcullis_')
    .describe('Prefix of every minted role name; the reaper only touches roles with it.'),
  poolSize: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(2)
    .describe('Minter connections kept open per sidecar.'),
});

export const dataSourceSpecSchema = z.strictObject({
  host: z.string().min(1).describe('Host name or address of the PostgreSQL server.'),
  port: z.number().int().min(1).max(65535).default(5432).describe('TCP port of the server.'),
  database: z.string().min(1).max(63).describe('Database to connect to.'),
  tls: upstreamTlsSchema
    .default({ mode: 'require' })
    .describe('TLS between the sidecar and the server.'),
  minter: minterSchema.describe('How the sidecar mints a short-lived role for each session.'),
  classification: z
    .record(qualifiedColumnSchema, z.string().regex(/^[a-z][a-z0-9_-]*$/))
    .default({})
    .describe(
      'Which columns hold which kind of sensitive data, as schema.table.column: kind ' +
        '(for example public.customers.email: email). Masking rules refer to the kinds.',
    ),
  localPort: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('Loopback port the sidecar listens on for this database (default 5432, then up).'),
});

export const dataSourceStatusSchema = z.strictObject({
  observedGeneration: z.number().int().optional(),
  conditions: z
    .array(conditionSchema)
    .optional()
    .describe('Ready: the minter logs in and may mint.'),
  serverVersion: z.string().optional().describe('server_version reported by PostgreSQL.'),
  mintedRoles: z.number().int().optional().describe('Minted roles alive on the server.'),
});

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
