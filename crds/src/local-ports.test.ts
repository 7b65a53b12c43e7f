import { dataSourceSchema } from './data-source.js';
import { assignLocalPorts } from './local-ports.js';

function dataSource(name: string, localPort?: number) {
  return dataSourceSchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name, namespace: 'shop' },
    spec: {
      host: 'db',
      database: name,
      minter: { secretRef: { name: 'minter' }, grantableRoles: ['app'] },
      ...(localPort === undefined ? {} : { localPort }),
    },
  });
}

describe('assignLocalPorts', () => {
  it.each([
    ['one DataSource takes 5432', [['orders']], 5432, { orders: 5432 }],
    ['the others follow in name order', [['b'], ['a'], ['c']], 5432, { a: 5432, b: 5433, c: 5434 }],
    [
      'a localPort is kept and skipped',
      [['a'], ['b', 5432], ['c']],
      5432,
      { a: 5433, b: 5432, c: 5434 },
    ],
    [
      'a localPort far away leaves the rest alone',
      [['a', 7000], ['b']],
      5432,
      { a: 7000, b: 5432 },
    ],
    ['another first port', [['a'], ['b']], 6432, { a: 6432, b: 6433 }],
  ] as const)('%s', (_, specs, firstPort, expected) => {
    const sources = specs.map(([name, port]) => dataSource(name, port));
    const result = assignLocalPorts(sources, firstPort);
    expect('ports' in result && Object.fromEntries(result.ports)).toEqual(expected);
  });

  it('does not depend on the order DataSources arrive in', () => {
    const sources = [dataSource('x'), dataSource('m', 5433), dataSource('a')];
    const forward = assignLocalPorts(sources);
    const backward = assignLocalPorts([...sources].reverse());
    expect(forward).toEqual(backward);
  });

  it('names both DataSources that claim one localPort', () => {
    const result = assignLocalPorts([dataSource('b', 6000), dataSource('a', 6000)]);
    expect(result).toEqual({
      problem:
        'DataSources a and b both ask for local port 6000; give one of them another localPort',
    });
  });
});
