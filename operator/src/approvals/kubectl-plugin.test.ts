import { accessRequestSchema, type AccessRequest } from '@portcullis/crds';
import { KubeApiError, type RequestOptions } from '../kube/rest-client.js';
import { runPlugin, type PluginIo } from './kubectl-plugin.js';

const NOW = new Date('2026-06-01T12:00:00Z');

function ar(name: string, extra: Partial<AccessRequest['spec']> = {}): AccessRequest {
  return accessRequestSchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessRequest',
    metadata: { name, namespace: 'shop' },
    spec: {
      policyRef: { name: 'orders-rw' },
      dataSourceRef: { name: 'orders' },
      requester: { identity: 'system:serviceaccount:shop:orders', session: 's1' },
      operation: { kind: 'statement', statement: 'DELETE FROM orders\n  WHERE id = 7' },
      reason: 'delete needs approval',
      expiresAt: '2026-06-01T12:05:00Z',
      ...extra,
    },
  });
}

function harness(answer: (path: string, options: RequestOptions) => unknown) {
  const calls: { path: string; options: RequestOptions }[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const io: PluginIo = {
    client: {
      request: <T>(path: string, options: RequestOptions = {}) => {
        calls.push({ path, options });
        try {
          return Promise.resolve(answer(path, options) as T);
        } catch (e) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    },
    contextNamespace: 'shop',
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    now: () => NOW,
  };
  return { io, calls, out, err };
}

describe('kubectl portcullis', () => {
  it('lists requests with their phase, decided ones by the decision in spec', async () => {
    const h = harness(() => ({
      items: [
        ar('b-2', { decision: { verdict: 'approve', decidedBy: 'alice' } }),
        ar('a-1'),
        ar('c-3', { expiresAt: '2026-06-01T11:00:00Z' }),
      ],
    }));
    expect(await runPlugin(['list'], h.io)).toBe(0);
    expect(h.calls[0]!.path).toBe('/apis/portcullis.dev/v1alpha1/namespaces/shop/accessrequests');
    expect(h.out).toEqual([
      'NAME   PHASE      POLICY      REQUESTER                           OPERATION                         DECIDED-BY   EXPIRES',
      'a-1    Pending    orders-rw   system:serviceaccount:shop:orders   DELETE FROM orders WHERE id = 7   -            2026-06-01T12:05:00Z',
      'b-2    Approved   orders-rw   system:serviceaccount:shop:orders   DELETE FROM orders WHERE id = 7   alice        2026-06-01T12:05:00Z',
      'c-3    Expired    orders-rw   system:serviceaccount:shop:orders   DELETE FROM orders WHERE id = 7   -            2026-06-01T11:00:00Z',
    ]);
  });

  it('lists across namespaces with -A', async () => {
    const h = harness(() => ({ items: [ar('a-1')] }));
    expect(await runPlugin(['list', '-A'], h.io)).toBe(0);
    expect(h.calls[0]!.path).toBe('/apis/portcullis.dev/v1alpha1/accessrequests');
    expect(h.out[0]).toMatch(/^NAMESPACE {3}NAME/);
  });

  it('approves with a merge patch that carries no decidedBy', async () => {
    const h = harness(() => ({}));
    expect(await runPlugin(['approve', 'a-1', '--comment', 'looks fine', '-n', 'ops'], h.io)).toBe(
      0,
    );
    expect(h.calls).toEqual([
      {
        path: '/apis/portcullis.dev/v1alpha1/namespaces/ops/accessrequests/a-1',
        options: {
          method: 'PATCH',
          body: { spec: { decision: { verdict: 'approve', comment: 'looks fine' } } },
          contentType: 'application/merge-patch+json',
        },
      },
    ]);
    expect(h.out).toEqual(['accessrequest.portcullis.dev/a-1 approved']);
  });

  it("prints the webhook's refusal and exits 1", async () => {
    const h = harness(() => {
      throw new KubeApiError(
        'PATCH /apis/x: 403 admission webhook "accessrequests.portcullis.dev" denied the request: mallory is not an approver',
        403,
        'Forbidden',
      );
    });
    expect(await runPlugin(['deny', 'a-1'], h.io)).toBe(1);
    expect(h.err).toEqual([
      'error: admission webhook "accessrequests.portcullis.dev" denied the request: mallory is not an approver',
    ]);
  });

  it.each([[[]], [['approve']], [['list', 'extra']], [['frobnicate', 'x']]])(
    'rejects %j with usage',
    async (argv) => {
      const h = harness(() => ({}));
      expect(await runPlugin(argv, h.io)).toBe(2);
      expect(h.err.join('\n')).toMatch(/usage: kubectl portcullis/);
      expect(h.calls).toEqual([]);
    },
  );
});
