import { z } from 'zod';
import { objectMetaSchema } from './common.js';

// A Secret key: alphanumerics, "-", "_" and "." (the rule the API server applies to data keys).
const secretKeySchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, 'must consist of letters, digits, "-", "_" or "."');

/**
 * A core v1 Secret as written in a manifest: standalone mode reads minter credentials from one.
 * `data` holds base64 values, `stringData` plain ones; the API server merges stringData over
 * data on write, and `secretValue` reads them the same way.
 */
export const secretSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMetaSchema,
  type: z.string().max(253).default('Opaque'),
  immutable: z.boolean().optional(),
  data: z
    .record(secretKeySchema, z.base64('must be base64 (standard alphabet, padded)'))
    .optional(),
  stringData: z.record(secretKeySchema, z.string()).optional(),
});

export type Secret = z.infer<typeof secretSchema>;

/** The value under `key`, from stringData first, else decoded from data; undefined if absent. */
export function secretValue(secret: Secret, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;

  const encoded = secret.data?.[key];
  if (encoded === undefined) return undefined;
  return Buffer.from(encoded, 'base64').toString('utf8');
}
