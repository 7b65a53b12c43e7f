import { z } from 'zod';

export const API_GROUP = 'portcullis.dev';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** A DNS-1123 subdomain, the rule for most Kubernetes object names. */
export const objectNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a lowercase DNS-1123 name (letters, digits, "-" and ".")',
  );

/** A PostgreSQL identifier as written unquoted: the roles and schemas a policy names. */
export const sqlIdentifierSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z_][a-z0-9_$]*$/, 'must be a lowercase PostgreSQL identifier of at most 63 bytes');

/** `schema.table`, both parts unquoted identifiers. */
export const qualifiedTableSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$/, 'must be schema.table, such as public.orders');

/** `schema.table.column`, every part an unquoted identifier. */
export const qualifiedColumnSchema = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$/,
    'must be schema.table.column, such as public.customers.email',
  );

export const localObjectReferenceSchema = z.strictObject({
  name: objectNameSchema.describe('Name of the object in the same namespace.'),
});

export const secretKeySelectorSchema = z.strictObject({
  name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
  key: z.string().min(1).describe('Key within the Secret.'),
});

const labelSelectorRequirementSchema = z.strictObject({
  key: z.string().min(1).describe('The label key the selector applies to.'),
  operator: z
    .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
    .describe('How key and values relate.'),
  values: z
    .array(z.string())
    .optional()
    .describe('Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
});

/** A Kubernetes label selector (metav1.LabelSelector). */
export const labelSelectorSchema = z.strictObject({
  matchLabels: z
    .record(z.string(), z.string())
    .optional()
    .describe('Labels a pod must carry, each with exactly this value.'),
  matchExpressions: z
    .array(labelSelectorRequirementSchema)
    .optional()
    .describe('Set-based requirements a pod must meet, all of them.'),
});

/** A status condition as Kubernetes API conventions describe it (metav1.Condition). */
export const conditionSchema = z.strictObject({
  type: z.string().describe('Type of condition, such as Ready.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition.'),
  reason: z.string().describe('CamelCase reason for the last transition.'),
  message: z.string().describe('Human-readable detail of the last transition.'),
  observedGeneration: z
    .number()
    .int()
    .optional()
    .describe('The .metadata.generation the condition was set from.'),
  lastTransitionTime: z.string().describe('When the status last changed (RFC 3339).'),
});

export const objectMetaSchema = z.looseObject({
  name: objectNameSchema,
  namespace: objectNameSchema.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
});

export type LabelSelector = z.infer<typeof labelSelectorSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type SecretKeySelector = z.infer<typeof secretKeySelectorSchema>;
export type ObjectMeta = z.infer<typeof objectMetaSchema>;
