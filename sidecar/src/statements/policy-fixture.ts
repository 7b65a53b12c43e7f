import { accessPolicySchema, type AccessPolicy } from '@portcullis/crds';

type Spec = AccessPolicy['spec'];
/** Guardrails as a manifest may write them: every field optional. */
export type GuardrailsInput = Partial<Spec['guardrails']>;

/**
 * An AccessPolicy for tests and the bypass corpus: defaults from the schema, guardrails and
 * approval as given.
 */
export function policyFixture(
  options: { name?: string; guardrails?: GuardrailsInput; approval?: unknown } = {},
): AccessPolicy {
  return accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name: options.name ?? 'app', namespace: 'shop' },
    spec: {
      dataSourceRef: { name: 'orders-db' },
      workloadSelector: { matchLabels: { app: 'shop' } },
      subjects: [{ serviceAccount: { name: 'shop' } }],
      grant: { role: 'app_writer' },
      guardrails: options.guardrails ?? {},
      ...(options.approval === undefined ? {} : { approval: options.approval }),
    },
  });
}
