import { describe, expect, test } from '@jest/globals';
import { unexpectedStderr, type Cluster } from '../../src/cluster.js';
import { renderChart } from '../../src/helm-chart.js';
import { ensureNamespace } from '../../src/namespaces.js';

/** The default render of the chart, checked by the API server itself (CRDs installed before). */
export function describeHelmDryRun(cluster: () => Cluster): void {
  describe('the Helm chart on the API server', () => {
    test('the default render passes kubectl apply --dry-run=server', async () => {
      const render = await renderChart(cluster().binaries.helm, { namespace: 'portcullis-system' });
      expect(render.code).toBe(0);
      await ensureNamespace(cluster().api, 'portcullis-system');

      const result = await cluster().kubectl.run(
        ['apply', '--dry-run=server', '--validate=strict', '-f', '-'],
        render.stdout,
      );
      expect(unexpectedStderr(cluster(), result.stderr)).toEqual([]);
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(render.objects.length);
      for (const line of lines)
        expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
    });
  });
}
