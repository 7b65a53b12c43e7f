import type { DataSource } from './data-source.js';

/** The first loopback port the gate listens on; further DataSources take the next free ones. */
export const FIRST_GATE_PORT = 5432;

/**
 * Assigns each DataSource its loopback port in the pod. The operator's pod patch (which tells
 * the app PGPORT) and the sidecar (which listens there) both use this one rule: a DataSource
 * with `localPort` keeps it; the others, in name order, take the lowest free port from
 * firstPort up. Returns a problem in words when two DataSources claim one port.
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
