import { describe, expect, it } from '@jest/globals';
import { parseWorkloadIdentity, WorkloadIdentityFormatError } from './workload-identity.js';

describe('parseWorkloadIdentity', () => {
  it('reads namespace and name from a service account username', () => {
    expect(parseWorkloadIdentity('system:serviceaccount:shop:checkout-v2')).toEqual({
      kind: 'serviceAccount',
      name: 'system:serviceaccount:shop:checkout-v2',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:shop'],
      claims: {},
    });
  });

  it.each([
    'checkout',
    'system:serviceaccount:shop',
    'system:serviceaccount:Shop:checkout',
    'system:serviceaccount:shop:checkout:extra',
    'system:serviceaccounts:shop:checkout',
  ])('refuses %p', (value) => {
    expect(() => parseWorkloadIdentity(value)).toThrow(WorkloadIdentityFormatError);
  });
});
