import { accessPolicySchema } from '@portcullis/crds';
import { describeSchemaError } from './invalid-objects.js';

describe('describeSchemaError', () => {
  it('names the path and problem of each schema issue', () => {
    const result = accessPolicySchema.safeParse({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'AccessPolicy',
      metadata: { name: 'p', namespace: 'shop' },
      spec: {
        dataSourceRef: { name: 'orders' },
        workloadSelector: {},
        subjects: [],
        grant: { role: 'Not A Role' },
      },
    });
    expect(result.success).toBe(false);
    const text = describeSchemaError(result.error);
    expect(text).toMatch(/spec\.subjects: /);
    expect(text).toMatch(/spec\.grant\.role: /);
  });

  it('falls back to the message of any other error', () => {
    expect(describeSchemaError(new Error('boom'))).toBe('boom');
  });
});
