import { z } from 'zod';
import { CEL_RULES_KEY, withRules } from './validation-rule.js';

/** The API group of every Portcullis kind. */
export const API_GROUP = 'portcullis.dev';
/** The one served and stored version. */
export const API_VERSION = 'v1alpha1';
/** The apiVersion objects carry: portcullis.dev/v1alpha1. */
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

// Every pattern below is written for both engines that read it: JavaScript here, and Go's RE2
// in the API server (no lookaround, no backreferences). A literal dot is `[.]` so the same text
// can sit in a CEL string literal without escaping.
const IDENTIFIER = '[a-z_][a-z0-9_$]{0,62}';

/** A DNS-1123 subdomain, the rule for most Kubernetes object names. */
export const objectNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a lowercase DNS-1123 name (letters, digits, "-" and ".")',
  );

/** A PostgreSQL identifier as written unquoted: the roles and schemas a policy names. */
export const sqlIdentifierSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(new RegExp(`^${IDENTIFIER}$`), 'must be a lowercase PostgreSQL identifier (max 63 bytes)');

/** `schema.table`, both parts unquoted identifiers. */
export const qualifiedTableSchema = z
  .string()
  .max(127)
  .regex(
    new RegExp(`^${IDENTIFIER}[.]${IDENTIFIER}$`),
    'must be schema.table, such as public.orders',
  );

/** The pattern of `schema.table.column`, shared by the zod check and the CEL rule on map keys. */
export const QUALIFIED_COLUMN_PATTERN = `^${IDENTIFIER}[.]${IDENTIFIER}[.]${IDENTIFIER}$`;
const QUALIFIED_COLUMN_MESSAGE = 'must be schema.table.column, such as public.customers.email';

/** `schema.table.column`, every part an unquoted identifier. */
export const qualifiedColumnSchema = z
  .string()
  .max(191)
  .regex(new RegExp(QUALIFIED_COLUMN_PATTERN), QUALIFIED_COLUMN_MESSAGE);

/** An http(s) URL, such as an OIDC issuer; the pattern is what the API server checks. */
export const httpUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2048)
  .meta({ pattern: '^https?://' });

/**
 * A map keyed by `schema.table.column`. The API server cannot check map keys against a pattern
 * (structural schemas have no propertyNames), so the same pattern travels as a CEL rule; zod
 * checks it directly.
 */
export function columnKeyedMap<V extends z.ZodType>(value: V, maxProperties: number) {
  return z
    .record(qualifiedColumnSchema, value)
    .refine((map) => Object.keys(map).length <= maxProperties, {
      message: `must have at most ${maxProperties} entries`,
    })
    .meta({
      maxProperties,
      [CEL_RULES_KEY]: [
        {
          rule: `self.all(k, k.matches('${QUALIFIED_COLUMN_PATTERN}'))`,
          message: `every key ${QUALIFIED_COLUMN_MESSAGE}`,
        },
      ],
    });
}

/** A reference by name to an object in the same namespace. */
export const localObjectReferenceSchema = z.strictObject({
  name: objectNameSchema.describe('Name of the object in the same namespace.'),
});

/** One key of a Secret in the same namespace. */
export const secretKeySelectorSchema = z.strictObject({
  name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
  key: z.string().min(1).max(253).describe('Key within the Secret.'),
});

/** A string list in a manifest: non-empty entries, bounded so CEL rules stay cheap. */
export function stringList(maxItems: number, maxLength = 256) {
  return z.array(z.string().min(1).max(maxLength)).max(maxItems);
}

// In and NotIn compare against a non-empty set; Exists and DoesNotExist take no values
// (metav1.LabelSelectorRequirement).
const labelSelectorRequirementSchema = withRules(
  z.strictObject({
    key: z.string().min(1).max(317).describe('The label key the selector applies to.'),
    operator: z
      .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
      .describe('How the label value relates to values.'),
    values: stringList(64, 63)
      .optional()
      .describe('Values for In and NotIn (at least one); empty for Exists and DoesNotExist.'),
  }),
  {
    rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
    message: 'In and NotIn need values; Exists and DoesNotExist take none',
    fieldPath: '.values',
    holds: (r) =>
      (r.operator === 'In' || r.operator === 'NotIn') ===
      (r.values !== undefined && r.values.length > 0),
  },
);

/** A Kubernetes label selector (metav1.LabelSelector); empty selects every pod. */
export const labelSelectorSchema = z.strictObject({
  matchLabels: z
    .record(z.string().min(1).max(317), z.string().max(63))
    .optional()
    .describe('Labels a pod must carry, each with exactly this value.'),
  matchExpressions: z
    .array(labelSelectorRequirementSchema)
    .max(32)
    .optional()
    .describe('Set-based requirements a pod must meet, all of them.'),
});

/** A status condition as the Kubernetes API conventions describe it (metav1.Condition). */
export const conditionSchema = z.strictObject({
  type: z.string().min(1).max(316).describe('Type of condition, such as Ready.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition.'),
  reason: z.string().min(1).max(1024).describe('CamelCase reason for the last transition.'),
  message: z.string().max(32768).describe('Human-readable detail of the last transition.'),
  observedGeneration: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The .metadata.generation the condition was set from.'),
  lastTransitionTime: z.iso
    .datetime({ offset: true })
    .describe('When the status last changed (RFC 3339).'),
});

/**
 * The parts of metadata the code reads. The CRD schema leaves metadata to the API server, so
 * this only parses; unknown fields (uid, managedFields, ...) pass through.
 */
export const objectMetaSchema = z.looseObject({
  name: objectNameSchema,
  namespace: objectNameSchema.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  creationTimestamp: z.string().optional(),
});

export type LabelSelector = z.infer<typeof labelSelectorSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type SecretKeySelector = z.infer<typeof secretKeySelectorSchema>;
export type ObjectMeta = z.infer<typeof objectMetaSchema>;
