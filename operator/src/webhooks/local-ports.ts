import type { DataSource } from '@portcullis/crds';
import { FIRST_GATE_PORT } from './injection-names.js';

/**
 * Assigns each DataSource its loopback port in the pod, by the rule the sidecar follows too:
 * a DataSource with `localPort` keeps it; the others, in name order, take the lowest free
 * port from firstPort (5432) up. Returns a problem in words when two DataSources claim one port.
 */
export function assignLocalPorts(
  dataSources: readonly DataSource[],
  firstPort = FIRST_GATE_PORT,
): { ports: Map<string, number> } | { problem: string } {
  const ports = new Map<string, number>();
  const taken = new Map<number, string>();
  const byName = [...dataSources].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  for (const ds of byName) {
    const port = ds.spec.localPort;
    if (port === undefined) continue;
    const holder = taken.get(port);
    if (holder !== undefined) {
      return {
        problem:
          `DataSources ${holder} and ${ds.metadata.name} both ask for local port ${port}; ` +
          'give one of them another localPort',
      };
    }
    taken.set(port, ds.metadata.name);
    ports.set(ds.metadata.name, port);
  }

  let next = firstPort;
  for (const ds of byName) {
    if (ports.has(ds.metadata.name)) continue;
    while (taken.has(next)) next++;
    taken.set(next, ds.metadata.name);
    ports.set(ds.metadata.name, next);
  }
  return { ports };
}
